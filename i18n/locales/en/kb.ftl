## /kb: a chat's knowledge base and the files added to it
kb_off = The knowledge base is switched off on this server.
kb_hint = To add a file to this chat's knowledge base, send /kb add and then the file. List: /kb.
kb_send_file = Send the file (PDF, DOCX, TXT, MD, HTML or CSV, up to { $mb } MB) and I'll add it to this chat's knowledge base.
kb_usage = Knowledge base: /kb — list, /kb add — add a file, /kb delete N — delete, /kb search query — search, /kb files on|off — whether every file sent here goes to the base.
kb_files_on = Every file sent to this chat now goes to its knowledge base.
kb_files_off = Files in this chat go to the knowledge base only after /kb add.
kb_admins_only = Only group admins can change this setting.
kb_no_such = There is no document #{ $n } in this chat's knowledge base. List: /kb.
kb_not_yours = Only whoever added a document, or a group admin, can delete it.
kb_deleted = Deleted document #{ $n } { $name } with all its chunks.
kb_empty = The file is empty — there is no text in it. Please send another file.
kb_too_large = The file is over { $mb } MB, more than I download. Compress or split it.
kb_too_long = The document is too long for me to read: too many pages or too much markup. Split it into parts.
kb_unsupported = I can't read this type of file. Send a PDF, DOCX, TXT, MD, HTML or CSV.
kb_encrypted = The PDF is password-protected. Remove the protection and send it again.
kb_corrupt = The file is damaged and I can't read it. Save it again and resend.
kb_no_text = This PDF has no text — it looks like a scan. Send a version with text, or the pages as photos with /ocr.
kb_bomb = The file unpacks to an enormous size — it looks like an archive bomb. I won't open it.
kb_encoding = I couldn't tell the text's encoding. Save the file as UTF-8 and send it again.
kb_download_failed = I could not download the file from Telegram. Please send it again.

## How the knowledge base speaks under answers, while a file is added, in /kb and /kb search (bot/views/knowledge.py)
kb_sources = Sources
kb_page = p. { $page }
kb_stage_extracting = 📄 { $name }: extracting text…
kb_stage_chunking = ✂️ { $name }: splitting into chunks…
kb_stage_embedding = 🧮 { $name }: embedding { $done }/{ $total }…
kb_stage_storing = 💾 { $name }: storing { $total ->
        [one] { $total } chunk
       *[other] { $total } chunks
    }…
kb_duplicate = This file is already in the knowledge base: #{ $id } { $name }.
kb_sparse = {" "}No embedding model answered: search is by words only for now.
kb_stored = ✅ Added to the knowledge base: #{ $id } { $name } — { $pages ->
        [one] { $pages } page
       *[other] { $pages } pages
    }, { $chunks ->
        [one] { $chunks } chunk
       *[other] { $chunks } chunks
    }, { $seconds } s.{ $sparse } Delete: /kb delete { $id }
kb_list_chat = This chat's knowledge base:
kb_list_agent = { $agent }'s knowledge base:
kb_list_collection = The { $name } collection (shared with other agents):
kb_list_empty = • (empty)
kb_list_line = • #{ $id } { $name } — { $chunks ->
        [one] { $chunks } chunk
       *[other] { $chunks } chunks
    }
kb_list_tip = Add a file: /kb add, then send the file (PDF, DOCX, TXT, MD, HTML, CSV). Delete: /kb delete N. Search: /kb search query.
kb_search_none = Nothing found in the knowledge base.
