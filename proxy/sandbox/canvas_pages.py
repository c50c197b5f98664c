"""A canvas's pages, derived from its id and category: the same canvas always has the same
pages, with no state to keep. Pure."""

from typing import Final

from proxy.core.payload import JSONObject
from proxy.sandbox.stamps import digest_int

# category: (width, height, fewest pages, most pages)
_LAYOUTS: Final = {
    "slides": (1920, 1080, 5, 12),
    "carousel": (1080, 1350, 3, 8),
    "pdf": (816, 1056, 1, 4),
    "social": (1080, 1080, 1, 1),
    "web-ads": (1200, 628, 1, 1),
    "diagram": (1600, 1000, 1, 1),
}
_DEFAULT_LAYOUT: Final = (1920, 1080, 1, 1)


def canvas_pages(canvas: JSONObject) -> list[JSONObject]:
    width, height, fewest, most = _LAYOUTS.get(str(canvas["category"]), _DEFAULT_LAYOUT)
    count = fewest + digest_int(canvas["id"], "pages") % (most - fewest + 1)
    return [
        {
            "page_number": number,
            "name": "Cover" if number == 1 and count > 1 else f"Page {number}",
            "width": width,
            "height": height,
            "node_count": 4 + digest_int(canvas["id"], "nodes", number) % 40,
        }
        for number in range(1, count + 1)
    ]
