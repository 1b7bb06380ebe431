"""QR code images of a link: PNG for files and screens, SVG for print (it scales to any size without blur).

Both use error correction level M (about 15% of the code may be smudged or covered and it still reads) and the
standard quiet zone of 4 modules. M rather than Q or H keeps the grid coarse for our links of about 90 characters
(version 5, 37 modules a side), so a small print still reads from arm's length. PNG needs no Pillow: the pure
Python writer (pypng) is enough for black-and-white images.
"""

from __future__ import annotations

import io
from xml.etree import ElementTree

import qrcode
import qrcode.constants
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathFillImage

BORDER_MODULES = 4
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _code(url: str, *, box_size: int, image_factory: type) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=BORDER_MODULES,
        image_factory=image_factory,
    )
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_png(url: str, *, box_size: int = 10) -> bytes:
    """A PNG of the QR code for ``url``, ``box_size`` pixels per module (quiet zone included)."""
    buffer = io.BytesIO()
    _code(url, box_size=box_size, image_factory=PyPNGImage).make_image().save(buffer)
    return buffer.getvalue()


def qr_svg(url: str, *, inline: bool = False) -> str:
    """The QR code for ``url`` as one black path on a white square, with a viewBox of one unit per module.

    Standalone (the default) it is an SVG file with an XML declaration and a size of 1 mm per module. With
    ``inline=True`` it is an ``<svg>`` element to put inside HTML: no XML declaration (not allowed there) and no
    ``id`` on the path (several codes on one page would repeat it). The page's CSS sets the printed size.
    """
    image = _code(url, box_size=10, image_factory=SvgPathFillImage).make_image()
    svg: ElementTree.Element = image.get_image()
    svg.set("shape-rendering", "crispEdges")  # no grey seams between modules on screens
    if inline:
        for path in svg.iter("path"):
            path.attrib.pop("id", None)
    text = ElementTree.tostring(svg, encoding="unicode")
    return text if inline else XML_DECLARATION + text
