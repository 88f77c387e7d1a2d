"""Write docs/rules/ from the rule classes, and docs/base-images.md and the package's JSON copy
of the table of base images from base_images.toml. Run after changing a rule or the table; a
test fails if stale."""

from __future__ import annotations

from pathlib import Path

from dockerfix.render.base_images import table_json, table_page
from dockerfix.render.rule_docs import pages

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "rules"
TABLE_JSON = ROOT / "src" / "dockerfix" / "data" / "base_images.json"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    wanted = pages()
    for stale in OUT.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()
    for name, text in wanted.items():
        (OUT / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(wanted)} pages to {OUT}")
    TABLE_JSON.write_text(table_json(), encoding="utf-8")  # first: the page is made from the package's copy
    print(f"wrote {TABLE_JSON}")
    (OUT.parent / "base-images.md").write_text(table_page(), encoding="utf-8")
    print(f"wrote {OUT.parent / 'base-images.md'}")


if __name__ == "__main__":
    main()
