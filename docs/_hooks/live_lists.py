"""mkdocs hooks: refresh the generated lists in the pages from the installed dualdiff, and
render the Sphinx cross-reference roles some docstrings use.

A page may hold blocks between ``<!-- live:NAME -->`` and ``<!-- /live:NAME -->``; at
build time each block is replaced by the current list, so the published site always
matches the code.  The Markdown files keep a copy (as of the last edit) so they read
well on their own too.  Blocks:

* ``numpy-functions``: :func:`dualdiff.numpy_api.supported_names` (``__array_function__``);
* ``ufuncs``: the numpy ufuncs with a row in :mod:`dualdiff.rules`;
* ``functions``: the ``dd.*`` elementary functions (``dualdiff.functions.FUNCTIONS``).

Docstrings written with Sphinx roles (``:func:`dualdiff.verify.check_grad```) come out of
the Markdown renderer as ``:func:<code>...</code>``; :func:`on_page_content` drops the
role, shortens ``~a.b.C`` to ``C`` and links fully qualified names documented on the
same page.
"""

from __future__ import annotations

import re


def _code_list(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _lists() -> dict[str, str]:
    import dualdiff
    from dualdiff import functions, numpy_api, rules

    ufuncs = sorted({f"np.{r.ufunc.__name__}" for r in (*rules.UNARY, *rules.BINARY) if r.ufunc is not None})
    aliases = getattr(functions, "ALIASES", {})
    canonical = {n for n in functions.FUNCTIONS if n not in aliases}
    canonical |= {n for n in ("clip", "where") if hasattr(dualdiff, n)}  # defined outside the table
    alias_text = ", ".join(f"`{a}` → `{t}`" for a, t in sorted(aliases.items()))
    return {
        "numpy-functions": _code_list(numpy_api.supported_names()),
        "ufuncs": _code_list(ufuncs),
        "functions": _code_list([f"dd.{n}" for n in sorted(canonical)]) + (f"; aliases: {alias_text}" if alias_text else ""),
    }


_BLOCK = re.compile(r"(<!-- live:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(\n<!-- /live:(?P=name) -->)", re.S)


def on_page_markdown(markdown: str, **kwargs: object) -> str:
    if "<!-- live:" not in markdown:
        return markdown
    lists = _lists()

    def replace(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in lists:
            raise KeyError(f"unknown live block {name!r} (known: {', '.join(lists)})")
        return m.group(1) + lists[name] + m.group(4)

    return _BLOCK.sub(replace, markdown)


_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):<code>(~?)([^<]+)</code>")


def on_page_content(html: str, **kwargs: object) -> str:
    if ":<code>" not in html:
        return html
    ids = set(re.findall(r'id="([^"]+)"', html))

    def replace(m: re.Match[str]) -> str:
        short, name = m.group(1) == "~", m.group(2)
        shown = name.rsplit(".", 1)[-1] if short else name
        code = f"<code>{shown}</code>"
        return f'<a href="#{name}">{code}</a>' if name in ids else code

    return _ROLE.sub(replace, html)
