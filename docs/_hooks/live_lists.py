"""mkdocs hooks: refresh the generated lists in the pages from the installed dualdiff, and
render the Sphinx cross-reference roles some docstrings use.

A page may hold blocks between ``<!-- live:NAME -->`` and ``<!-- /live:NAME -->``; at
build time each block is replaced by the current list, so the published site always
matches the code.  The Markdown files keep a copy (as of the last edit) so they read
well on their own too.  Blocks:

* ``numpy-functions``: :func:`dualdiff.numpy_api.supported_names` (``__array_function__``);
* ``ufuncs``: the numpy ufuncs with a row in :mod:`dualdiff.rules`;
* ``functions``: the ``dd.*`` elementary functions (``dualdiff.functions.FUNCTIONS``);
* ``scipy-special``: the scipy.special ufuncs that dispatch to a row;
* ``supported-rules``: a table of every row with its dd./numpy/scipy.special/math spellings
  and whether it runs inside ``@njit``;
* ``supported-numpy``: the numpy and numpy.linalg functions with a dual implementation.

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

    ufuncs = sorted({name for u in rules.RULE_BY_UFUNC if (name := _spelling(u)) and name.startswith("np.")})
    aliases = getattr(functions, "ALIASES", {})
    canonical = {n for n in functions.FUNCTIONS if n not in aliases}
    canonical |= {n for n in ("clip", "where") if hasattr(dualdiff, n)}  # defined outside the table
    alias_text = ", ".join(f"`{a}` → `{t}`" for a, t in sorted(aliases.items()))
    return {
        "numpy-functions": _code_list(numpy_api.supported_names()),
        "ufuncs": _code_list(ufuncs),
        "functions": _code_list([f"dd.{n}" for n in sorted(canonical)]) + (f"; aliases: {alias_text}" if alias_text else ""),
        "scipy-special": _code_list(sorted({name for u in rules.RULE_BY_UFUNC
                                            if (name := _spelling(u)) and name.startswith("scipy.")})),
        "supported-rules": _rules_table(),
        "supported-numpy": _numpy_table(),
    }


def _spelling(ufunc: object) -> str | None:
    """``np.sin`` or ``scipy.special.gammaln``: how user code names a ufunc of the table."""
    import numpy as np
    import scipy.special as sc

    from dualdiff import rules

    name = getattr(ufunc, "__name__", "")
    if getattr(np, name, None) is ufunc:
        return f"np.{name}"
    if getattr(sc, name, None) is ufunc:
        return f"scipy.special.{name}"
    if ufunc is getattr(rules, "riemann_zeta", None):
        return "scipy.special.zeta"
    return None


def _rules_table() -> str:
    """One line per row of the rules table: its dd., numpy, scipy.special and math spellings,
    and whether it runs inside @njit (every row does: tests/jit compiles all of them)."""
    import math

    from dualdiff import rules

    by_rule: dict[str, list[str]] = {}
    for u, r in rules.RULE_BY_UFUNC.items():
        name = _spelling(u)
        if name:
            by_rule.setdefault(r.name, []).append(name)
    lines = ["| `dd.` | numpy | scipy.special | math | inside `@njit` |", "|---|---|---|---|---|"]
    for r in (*rules.UNARY, *rules.BINARY):
        spell = sorted(by_rule.get(r.name, []))
        numpy_names = ", ".join(f"`{n}`" for n in spell if n.startswith("np.")) or "—"
        scipy_names = ", ".join(f"`{n}`" for n in spell if n.startswith("scipy.")) or "—"
        math_names = ", ".join(f"`math.{n}`" for n in rules.names(r) if callable(getattr(math, n, None))) or "—"
        dd_names = ", ".join(f"`{n}`" for n in rules.names(r))
        lines.append(f"| {dd_names} | {numpy_names} | {scipy_names} | {math_names} | yes |")
    lines.append("| `polygamma(n, x)` | — | `scipy.special.polygamma` (use `dd.polygamma`) | — | no |")
    for n in ("logsumexp", "softmax", "log_softmax"):
        lines.append(f"| `{n}` | — | `scipy.special.{n}` (use `dd.{n}`) | — | no |")
    return "\n".join(lines)


def _numpy_table() -> str:
    """The numpy functions with a dual implementation, by module (Python engine)."""
    from dualdiff import numpy_api

    names = numpy_api.supported_names()
    linalg = [n for n in names if n.startswith("np.linalg.")]
    other = [n for n in names if not n.startswith("np.linalg.")]
    return "\n".join([
        "| module | functions (Python engine) |", "|---|---|",
        f"| `numpy` | {_code_list(other)} |",
        f"| `numpy.linalg` | {_code_list(linalg)} |",
    ])


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
