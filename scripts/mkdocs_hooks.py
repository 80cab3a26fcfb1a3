"""MkDocs hooks of the documentation site (mkdocs.yml: ``hooks``).

The docstrings cross-reference with Sphinx roles, as ignite's do (``:class:`Checkpoint```,
``:func:`~oxignite.engine.create_supervised_trainer```); mkdocstrings renders those as the role's
text before a code span. Show the code span alone, with the ``~`` form shortened to its last
name as Sphinx shows it; and a paragraph that ends in reST's "::" (the literal block after
it is already a code block) ends in one colon.
"""

from __future__ import annotations

import re

ROLE = re.compile(r":(?:class|func|meth|mod|attr|obj|exc|data|math):<code>(~?)([^<]*)</code>")


def _shown(match: re.Match) -> str:
    tilde, target = match.groups()
    return f"<code>{target.rsplit('.', 1)[-1] if tilde else target}</code>"


def on_page_content(html: str, **kwargs) -> str:
    return ROLE.sub(_shown, html).replace("::</p>", ":</p>")
