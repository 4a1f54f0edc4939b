"""rag.extract: every file is generated here (no binary fixtures), good ones and hostile ones."""
from __future__ import annotations

import csv
import io
import random
import time
import zipfile

import docx
import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import DependencyError

from rag.extract import extract as extract_capped
from rag.extract import kind_of, normalise
from rag.extract_docx import MAX_UNZIPPED
from rag.types import Extracted, ExtractError

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
UKRAINIAN = ("Київ - столиця України. Ґанок, їжак, єнот і щука живуть у лісі біля річки. "
             "Ми вивчаємо українську мову щодня, бо вона м'яка й співуча.")
PAGES = ["Перша сторінка: договір оренди. First page: the lease agreement.",
         "Друга сторінка: орендна плата 12 000 гривень. Second page: the rent.",
         "Третя сторінка: підписи сторін. Third page: signatures."]


CAP = 50 * 1024 * 1024  # KB_MAX_FILE_MB's default, what the knowledge base passes


def extract(data: bytes, name: str, mime: str | None = None) -> Extracted:
    """`extract` with the knowledge base's default cap."""
    return extract_capped(data, name, mime, max_bytes=CAP)


def make_pdf(pages: list[str]) -> bytes:
    """A text PDF with a Cyrillic font, one string per page."""
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def encrypt(pdf: bytes, user_password: str) -> bytes:
    """The same PDF, encrypted with pypdf (RC4: no AES library needed to write or read it)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def junk(seed: int, size: int) -> bytes:
    """Reproducible random bytes."""
    return random.Random(seed).randbytes(size)


def reason(data: bytes, name: str, mime: str | None = None) -> str:
    """The ExtractError reason `extract` raises for this file."""
    with pytest.raises(ExtractError) as caught:
        extract(data, name, mime)
    return caught.value.reason


# --- types and limits ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "mime", "kind"), [
    ("Report.PDF", None, "pdf"), ("a.docx", None, "docx"), ("notes.txt", None, "txt"), ("README.md", None, "md"),
    ("page.htm", None, "html"), ("page.html", None, "html"), ("table.csv", None, "csv"),
    ("scan", "application/pdf", "pdf"), ("blob", "text/plain; charset=utf-8", "txt"),
    ("notes.txt", "application/octet-stream", "txt"),  # the name wins: Telegram clients send octet-stream a lot
    ("setup.exe", "text/plain", None), ("book.xlsx", None, None), ("deck.pptx", None, None),
    ("photo.jpg", "image/jpeg", None), ("archive.zip", None, None), ("old.doc", None, None), ("noext", None, None),
])
def test_kind_of(name: str, mime: str | None, kind: str | None) -> None:
    assert kind_of(name, mime) == kind


@pytest.mark.parametrize("name", ["book.xlsx", "setup.exe", "deck.pptx", "photo.png"])
def test_unsupported_types(name: str) -> None:
    assert reason(b"PK\x03\x04 whatever", name) == "unsupported"


def test_empty_file_and_whitespace_only() -> None:
    assert reason(b"", "empty.txt") == "empty"
    assert reason(b" \r\n\t\n  \n", "blank.txt") == "empty"
    assert reason(b"\n\n\n", "blank.md") == "empty"


def test_nul_characters_are_dropped() -> None:
    assert extract("Сло\x00во\x00\r\nдва".encode(), "nul.txt").text == "Слово\nдва"


def test_too_large() -> None:
    with pytest.raises(ExtractError) as caught:
        extract_capped(b"a" * 1001, "big.txt", max_bytes=1000)
    assert caught.value.reason == "too_large"  # refused by size before anything is decoded
    assert extract_capped(b"a" * 1000, "fits.txt", max_bytes=1000).text == "a" * 1000


def test_normalise() -> None:
    assert normalise("  a\x00b \r\nc\r\n\r\n\r\n\r\nd  \n\n\n\ne \n") == "ab\nc\n\nd\n\ne"


# --- PDF ----------------------------------------------------------------------------------------------------------

def test_pdf_pages_keep_numbers_and_text() -> None:
    extracted = extract(make_pdf(PAGES), "lease.pdf")
    assert extracted.kind == "pdf"
    assert [p.number for p in extracted.pages] == [1, 2, 3]
    assert "договір оренди" in extracted.pages[0].text and "lease agreement" in extracted.pages[0].text
    assert "12 000 гривень" in extracted.pages[1].text and "rent" in extracted.pages[1].text
    assert "підписи сторін" in extracted.pages[2].text and "signatures" in extracted.pages[2].text
    assert extracted.text.index("Перша") < extracted.text.index("Друга") < extracted.text.index("Третя")


def test_pdf_blank_page_keeps_its_number() -> None:
    extracted = extract(make_pdf([PAGES[0], "", PAGES[2]]), "gap.pdf")
    assert [(p.number, bool(p.text)) for p in extracted.pages] == [(1, True), (2, False), (3, True)]


def test_pdf_with_user_password_is_encrypted() -> None:
    assert reason(encrypt(make_pdf(PAGES), "secret"), "locked.pdf") == "encrypted"


def test_pdf_with_empty_user_password_opens() -> None:
    extracted = extract(encrypt(make_pdf(PAGES), ""), "protected.pdf")
    assert [p.number for p in extracted.pages] == [1, 2, 3]
    assert "підписи сторін" in extracted.pages[2].text


def test_aes_pdf_without_an_aes_library_is_encrypted(monkeypatch: pytest.MonkeyPatch) -> None:
    # pypdf raises DependencyError only when it meets AES data; no AES PDF can be written here without the library.
    def needs_aes(*_: object, **__: object) -> str:
        raise DependencyError("cryptography is required for AES algorithm")

    monkeypatch.setattr(PageObject, "extract_text", needs_aes)
    assert reason(encrypt(make_pdf(PAGES), ""), "aes.pdf") == "encrypted"


def test_one_unreadable_page_does_not_lose_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    real = PageObject.extract_text
    broken = {"Друга"}  # pages whose text contains one of these fail as a page with a broken font would

    def flaky(page: PageObject, *args: object, **kwargs: object) -> str:
        text = real(page)
        if any(word in text for word in broken):
            raise KeyError("/Font")
        return text

    monkeypatch.setattr(PageObject, "extract_text", flaky)
    extracted = extract(make_pdf(PAGES), "damaged.pdf")
    assert [(p.number, bool(p.text)) for p in extracted.pages] == [(1, True), (2, False), (3, True)]
    broken.add("сторінка")
    assert reason(make_pdf(PAGES), "damaged.pdf") == "corrupt"


def test_scanned_pdf_without_text_layer_is_no_text() -> None:
    png = io.BytesIO()
    Image.new("RGB", (200, 100), "white").save(png, "PNG")
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(png.getvalue()), x=10, y=10, w=100)
    assert reason(bytes(pdf.output()), "scan.pdf") == "no_text"


def test_pdf_with_a_few_characters_is_no_text() -> None:
    assert reason(make_pdf(["стор. 1", "", "2"]), "scan.pdf") == "no_text"


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_pdf_is_corrupt(keep: float) -> None:
    pdf = make_pdf(PAGES)
    assert reason(pdf[: int(len(pdf) * keep)], "cut.pdf") == "corrupt"


@pytest.mark.parametrize("data", [b"%PDF-1.7\n", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n%%EOF",
                                  junk(7, 4096)])
def test_garbage_named_pdf_is_corrupt(data: bytes) -> None:
    assert reason(data, "junk.pdf") == "corrupt"


def test_pdf_page_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rag.extract_pdf.MAX_PAGES", 2)
    with pytest.raises(ExtractError) as caught:
        extract(make_pdf(PAGES), "long.pdf")
    assert caught.value.reason == "too_large" and "3 pages" in caught.value.detail


# --- DOCX ---------------------------------------------------------------------------------------------------------

def make_docx() -> bytes:
    """Paragraphs around a 2x2 table (one cell merged across the header row) and a closing paragraph."""
    document = docx.Document()
    document.add_heading("Звіт за квартал", level=1)
    document.add_paragraph("Вступ: цей звіт описує продажі.")
    table = document.add_table(rows=3, cols=2)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Продажі"
    table.cell(1, 0).text, table.cell(1, 1).text = "Місяць", "Сума"
    table.cell(2, 0).text, table.cell(2, 1).text = "Січень", "1 500 грн"
    document.add_paragraph("Висновок: зростання 12%.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_docx_paragraphs_and_cells_in_order() -> None:
    extracted = extract(make_docx(), "report.docx")
    assert extracted.kind == "docx" and [p.number for p in extracted.pages] == [0]
    text = extracted.text
    order = ["Звіт за квартал", "Вступ", "Продажі", "Місяць | Сума", "Січень | 1 500 грн", "Висновок"]
    assert [text.index(s) for s in order] == sorted(text.index(s) for s in order)
    assert text.count("Продажі") == 1  # a merged cell is read once


def write_zip(members: dict[str, bytes | int]) -> bytes:
    """A zip; an int member is that many zero bytes, streamed in 1 MiB blocks so the test stays light."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in members.items():
            if isinstance(content, bytes):
                archive.writestr(name, content)
                continue
            with archive.open(name, "w") as member:
                block = bytes(1 << 20)
                for _ in range(content >> 20):
                    member.write(block)
    return out.getvalue()


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A 300 MiB member of zeros behind a valid-looking document.xml, ~1.4 MB on disk."""
    return write_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>",
                      "word/media/image1.bin": 300 << 20})


def test_zip_bomb_renamed_docx_is_refused_without_inflating(zip_bomb: bytes) -> None:
    assert len(zip_bomb) < 2 * 1024 * 1024
    started = time.perf_counter()
    assert reason(zip_bomb, "bomb.docx") == "bomb"
    assert time.perf_counter() - started < 1.0


def test_high_ratio_member_is_a_bomb_even_when_small_in_total() -> None:
    data = write_zip({"word/document.xml": b"<w:document/>", "word/media/image1.bin": 10 << 20})
    assert (10 << 20) < MAX_UNZIPPED
    assert reason(data, "ratio.docx") == "bomb"


def test_many_members_is_a_bomb() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(10_001):
            archive.writestr(f"m/{i}", b"")
    assert reason(out.getvalue(), "many.docx") == "bomb"


def test_oversized_document_xml_is_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rag.extract_docx.MAX_DOCUMENT_XML", 1000)
    assert reason(make_docx(), "huge.docx") == "too_large"


def test_password_protected_word_file_is_encrypted() -> None:
    # Word wraps an encrypted .docx in an OLE compound file with an "EncryptionInfo" stream; a legacy .doc has none.
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    assert reason(ole + "EncryptionInfo".encode("utf-16-le") + bytes(1024), "secret.docx") == "encrypted"
    assert reason(ole + "WordDocument".encode("utf-16-le") + bytes(1024), "old.docx") == "unsupported"


def test_random_bytes_named_docx_is_corrupt() -> None:
    assert reason(junk(1, 10_000), "fake.docx") == "corrupt"


def test_zip_without_document_xml_is_corrupt() -> None:
    assert reason(write_zip({"hello.txt": b"hello"}), "notword.docx") == "corrupt"


def test_docx_with_broken_parts_is_corrupt() -> None:
    data = write_zip({"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"})
    assert reason(data, "broken.docx") == "corrupt"


# --- text formats -------------------------------------------------------------------------------------------------

# utf-16-le has no BOM: it decodes as "valid" UTF-8 full of control characters, which must not be taken.
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "koi8-u", "utf-16", "utf-16-be", "utf-16-le"])
def test_ukrainian_text_in_any_common_encoding(encoding: str) -> None:
    extracted = extract(UKRAINIAN.encode(encoding), "лист.txt")
    assert extracted.kind == "txt" and extracted.pages[0].number == 0
    assert extracted.text == UKRAINIAN


def test_utf8_with_a_few_bad_bytes_is_kept() -> None:
    text = UKRAINIAN * 5
    data = text.encode()
    assert extract(data[:-2], "cut.txt").text == text[:-2] + "\ufffd"  # cut inside the last "а"
    spoiled = data[:100] + b"\xff" + data[100:]
    assert extract(spoiled, "stray.txt").text.replace("\ufffd", "") == text


def test_binary_junk_named_txt_is_encoding() -> None:
    assert reason(junk(3, 8192), "junk.txt") == "encoding"
    assert reason(b"\x89PNG\r\n\x1a\n" + junk(4, 4096),
                  "image.txt") == "encoding"
    assert reason(bytes(4096), "zeros.txt") == "encoding"


def test_markdown_is_kept_as_text() -> None:
    md = "# Заголовок\r\n\r\n\r\n\r\n- пункт **один**\n- [посилання](https://example.com)\n"
    extracted = extract(md.encode(), "notes.md")
    assert extracted.kind == "md"
    assert extracted.text == "# Заголовок\n\n- пункт **один**\n- [посилання](https://example.com)"


def test_html_keeps_only_visible_text() -> None:
    html = """<!DOCTYPE html><html><head><meta charset="windows-1251"><title>Новини</title>
      <style>body { color: red }</style><script>alert("hidden")</script></head>
      <body><header>Site logo</header><nav><a href="/">Menu</a></nav>
      <h1>Головна   новина</h1><p>Перший <b>абзац</b> тексту.</p><div>Другий&nbsp;блок<br>новий рядок</div>
      <!-- a comment --><table><tr><th>Місто</th><th>Люди</th></tr><tr><td>Київ</td><td>3 млн</td></tr></table>
      <noscript>enable js</noscript><footer>© footer</footer></body></html>"""
    extracted = extract(html.encode("cp1251"), "page.html")
    assert extracted.kind == "html"
    assert extracted.text.split("\n") == ["Новини", "Головна новина", "Перший абзац тексту.", "Другий блок",
                                          "новий рядок", "Місто | Люди", "Київ | 3 млн"]


def test_html_text_after_a_block_starts_a_new_line() -> None:
    html = b"<div><p>one</p>two <i>three</i>four</div><span>five</span>"
    assert extract(html, "a.html").text == "one\ntwo threefour\nfive"


def test_html_with_many_siblings_stays_linear() -> None:
    html = ("<html><body>" + "<script>x()</script><p>слово</p>" * 20_000 + "</body></html>").encode()
    started = time.perf_counter()
    assert extract(html, "flat.html").text == "\n".join(["слово"] * 20_000)
    assert time.perf_counter() - started < 3.0  # decompose() per script took ~10 s here


def test_html_with_too_many_tags_is_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("rag.extract_text.MAX_HTML_TAGS", 100)
    assert reason(b"<p>a</p>" * 100, "tags.html") == "too_large"


def test_csv_rows_become_header_value_lines() -> None:
    rows = [["Назва", "Ціна", "Опис"], ["Хліб", "25", "житній, свіжий"], ["Молоко", "", "2,5%"]]
    for delimiter in [",", ";", "\t"]:
        text = io.StringIO()
        csv.writer(text, delimiter=delimiter).writerows(rows)
        extracted = extract(text.getvalue().encode("utf-8-sig"), "prices.csv")
        assert extracted.kind == "csv" and [p.number for p in extracted.pages] == [0]
        assert extracted.text == "Назва: Хліб; Ціна: 25; Опис: житній, свіжий\nНазва: Молоко; Опис: 2,5%", delimiter


def test_csv_in_cp1251_with_multiline_value() -> None:
    data = 'Місто,Примітка\nЛьвів,"стара\r\nкава"\n'.encode("cp1251")
    assert extract(data, "cities.csv").text == "Місто: Львів; Примітка: стара кава"


def test_csv_with_only_a_header_keeps_the_header() -> None:
    assert extract("Назва,Ціна\n".encode(), "empty.csv").text == "Назва; Ціна"


@pytest.mark.parametrize("name", ["f.pdf", "f.docx", "f.html", "f.csv"])
def test_damaged_files_only_ever_raise_extract_error(name: str) -> None:
    seeds = {"pdf": make_pdf(PAGES), "docx": make_docx(), "html": b"<p>\xd0\x9a\xd0\xb8\xd1\x97\xd0\xb2</p>" * 50,
             "csv": b"a,b\n1,2\n" * 50}
    seed = seeds[name.split(".")[1]]
    rng = random.Random(name)
    for _ in range(60):
        damaged = bytearray(seed)
        for _ in range(rng.randint(1, 20)):
            at = rng.randrange(len(damaged))
            damaged[at:at + rng.randint(1, 8)] = rng.randbytes(rng.randint(0, 8))
        try:
            extract(bytes(damaged), name)
        except ExtractError:
            pass
