"""The revenue report's chart: revenue (bars) and sales (line) per day or week, as PNG bytes.

The only module that imports matplotlib. It draws with the object-oriented API on a Figure of
its own and the Agg canvas (no pyplot, so no global figure state and no display: each call is
independent and safe on any thread). matplotlib is imported on first use, and
``chart_png`` draws on a worker thread, so the event loop never waits for matplotlib (its
first import alone takes about a second): importing this module costs nothing.
"""

from __future__ import annotations

import asyncio
import io

from bot.domain.report import DAY, Report

WIDTH, HEIGHT, DPI = 10, 5, 100  # inches and dots per inch: a 1000 x 500 image
SIZE = (WIDTH * DPI, HEIGHT * DPI)
_REVENUE = "#4e79a7"
_SALES = "#e15759"


def _title(report: Report) -> str:
    step = "day" if report.bucket == DAY else "week"
    return f"Revenue and sales per {step}, {report.period.label} (UTC)"


def render(report: Report) -> bytes:
    """Draw the chart now, on this thread (see ``chart_png``)."""
    # Here, not at the top: the first import is slow, and this runs on a worker thread.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415
    from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: PLC0415

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title(_title(report))
    buckets = report.series
    if not buckets:
        axes.text(0.5, 0.5, "No sales yet", ha="center", va="center", transform=axes.transAxes)
        axes.set_xticks([])
        axes.set_yticks([])
    else:
        positions = list(range(len(buckets)))
        axes.bar(
            positions, [b.revenue for b in buckets], color=_REVENUE, label="Revenue", width=0.8
        )
        # The currency's name is an admin's text: "$$" in it must not be read as mathtext.
        axes.set_ylabel(f"Revenue ({report.currency.name})", parse_math=False)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        # Whole amounts from 0; a period without revenue still gets an axis of 0 and 1.
        axes.set_ylim(bottom=0, top=max(1, *(b.revenue for b in buckets)) * 1.1)
        sales = axes.twinx()
        sales.plot(positions, [b.sales for b in buckets], color=_SALES, marker="o", label="Sales")
        sales.set_ylabel("Sales")
        sales.set_ylim(bottom=0, top=max(1, *(b.sales for b in buckets)) * 1.15)
        sales.yaxis.set_major_locator(MaxNLocator(integer=True))
        every = max(1, len(buckets) // 12)  # at most about 12 dates under the axis
        shown = positions[::every]
        axes.set_xticks(shown, [buckets[i].start.strftime("%d %b") for i in shown])
        axes.set_xlim(-0.6, len(buckets) - 0.4)
        handles = axes.get_legend_handles_labels()[0] + sales.get_legend_handles_labels()[0]
        axes.legend(handles=handles, loc="upper left")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


async def chart_png(report: Report) -> bytes:
    """The chart as PNG bytes, drawn on a worker thread."""
    return await asyncio.to_thread(render, report)
