"""Markdown tables and sizes as tools/report and tools/footprint print them."""


def table(head, align, rows):
    """Markdown table lines: ``head`` cells, ``align`` a letter a column ("l" or "r"),
    then one line per row of cells."""
    return ([cells_line(head), "|" + "".join("---:|" if a == "r" else "---|" for a in align)]
            + [cells_line(r) for r in rows])


def cells_line(cells):
    """One markdown table line; a "|" inside a cell is escaped."""
    return "| %s |" % " | ".join(str(c).replace("|", "\\|") for c in cells)


def kb(n):
    return "%.1f KB" % (n / 1024)
