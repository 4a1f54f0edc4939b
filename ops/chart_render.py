"""The chart as a PNG: messages and the local share per day above, tokens and cost per provider below.

matplotlib (the `charts` extra) is imported here only, on the first chart: ~0.4 s and ~40 MB the bot does not
pay at start. Only its object API is used (a Figure per chart, no pyplot), so charts drawn in threads never share
state; `chart_png` draws in a thread so the event loop keeps serving chats meanwhile.
"""
from __future__ import annotations

import asyncio
import importlib.util
import math
from collections.abc import Sequence
from datetime import date
from io import BytesIO
from typing import TYPE_CHECKING

from i18n import Translator, translator
from ops.chart import ChartData, ProviderTotal
from ops.stats import money, num, percent

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MESSAGES, LOCAL, CLOUD = "#4C78A8", "#54A24B", "#F58518"  # colour-blind-safe (Tableau 10)
WEEKEND = "#EEEEEE"


class ChartsUnavailable(RuntimeError):
    """matplotlib is not installed: the `charts` extra was left out."""


def available() -> bool:
    """Whether charts can be drawn here (matplotlib importable), without importing it."""
    return importlib.util.find_spec("matplotlib") is not None


def day_label(tr: Translator, day: date) -> str:
    """"05.12" in Ukrainian, "5 Dec" in English: the catalogs word it."""
    return tr("chart_day", day=day.day, month=day.month)


def caption(data: ChartData, lang: str | None) -> str:
    """The photo's caption: the period and its totals, worded with plural forms."""
    tr = translator(lang)
    return tr("chart_caption", first=day_label(tr, data.days[0].day), last=day_label(tr, data.days[-1].day),
              messages=num(data.messages), answers=num(data.answered), share=percent(data.local, data.answered),
              cost=money(data.cost))


def _grouped(value: float, _pos: object = None) -> str:
    return f"{value:,.0f}".replace(",", " ")


def _days(ax: Axes, data: ChartData, tr: Translator) -> None:
    """Bars of messages per day, the local share as a line on a second axis (gaps on days without answers)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

    x = list(range(len(data.days)))
    messages = [d.messages for d in data.days]
    for i, d in enumerate(data.days):
        if d.day.weekday() >= 5:  # weekends shaded: the week's rhythm at a glance
            ax.axvspan(i - 0.5, i + 0.5, color=WEEKEND, zorder=0, linewidth=0)
    ax.bar(x, messages, color=MESSAGES, width=0.7, zorder=2, label=tr("chart_messages_legend"))
    ax.set_xticks(x, [day_label(tr, d.day) for d in data.days], fontsize=9)
    ax.set_xlim(-0.5, len(x) - 0.5)
    ax.set_ylim(0, max(max(messages, default=0), 1) * 1.25)  # room for the legend
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(_grouped))
    ax.set_ylabel(tr("chart_messages_axis"))
    ax.set_title(tr("chart_days_title"), fontsize=11)
    share = ax.twinx()
    shares = [math.nan if d.local_share is None else d.local_share for d in data.days]
    share.plot(x, shares, color=LOCAL, marker="o", linewidth=2, zorder=3, label=tr("chart_local_legend"))
    share.set_ylim(0, 105)
    share.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
    share.set_ylabel(tr("chart_local_axis"), color=LOCAL)
    for i, m in enumerate(messages):  # on the share's axes, so the line never hides a number (it is drawn above)
        if m:
            share.annotate(_grouped(m), (i, m), xycoords=ax.transData, xytext=(0, 3), textcoords="offset points",
                           ha="center", va="bottom", fontsize=8, zorder=4,
                           bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    handles = [*ax.get_legend_handles_labels()[0], *share.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, loc="upper left", fontsize=8, framealpha=0.9)


def _providers(ax: Axes, providers: Sequence[ProviderTotal], days: int, tr: Translator) -> None:
    """A bar of tokens per provider, green when local, its tokens and cost written above it."""
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter

    ax.set_title(tr("chart_providers_title", days=days), fontsize=11)
    if not providers:
        ax.text(0.5, 0.5, tr("chart_no_calls"), ha="center", va="center", transform=ax.transAxes, fontsize=12,
                color="#666666")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    x = list(range(len(providers)))
    bars = ax.bar(x, [p.tokens for p in providers], color=[LOCAL if p.local else CLOUD for p in providers],
                  width=0.6, zorder=2)
    ax.bar_label(bars, labels=[f"{_grouped(p.tokens)} · {money(p.cost)}" for p in providers], fontsize=9, padding=2)
    ax.set_xticks(x, [p.provider for p in providers], fontsize=9, rotation=20 if len(providers) > 5 else 0)
    span = max(len(x), 3)  # one or two providers get bars, not walls, in the middle
    ax.set_xlim((len(x) - 1 - span) / 2, (len(x) - 1 + span) / 2)
    ax.set_ylim(0, max(max(p.tokens for p in providers), 1) * 1.2)
    ax.yaxis.set_major_formatter(FuncFormatter(_grouped))
    ax.set_ylabel(tr("chart_tokens_axis"))
    ax.grid(axis="y", color=WEEKEND, zorder=0)
    kinds = [(True, LOCAL, tr("chart_local_provider")), (False, CLOUD, tr("chart_cloud_provider"))]
    ax.legend(handles=[Patch(color=c, label=label) for local, c, label in kinds
                       if any(p.local == local for p in providers)], loc="upper right", fontsize=8)


def render_png(data: ChartData, lang: str | None) -> bytes:
    """The chart of `data` as PNG bytes, texts in `lang`; blocking (~0.2 s), so call it through `chart_png`."""
    try:
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ChartsUnavailable(str(exc)) from exc
    tr = translator(lang)
    fig = Figure(figsize=(10, 8), dpi=100, layout="constrained")
    fig.suptitle(tr("chart_title", first=day_label(tr, data.days[0].day), last=day_label(tr, data.days[-1].day),
                    tz=data.tz), fontsize=13, fontweight="bold")
    top, bottom = fig.subplots(2, 1, height_ratios=[3, 2])
    _days(top, data, tr)
    _providers(bottom, data.providers, len(data.days), tr)
    out = BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})  # no version string: the same data, the same bytes
    return out.getvalue()


async def chart_png(data: ChartData, lang: str | None) -> bytes:
    """render_png in a worker thread: the import and the drawing never stall the event loop."""
    return await asyncio.to_thread(render_png, data, lang)
