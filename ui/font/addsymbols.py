# Copies a few symbol glyphs (sync/state markers) from DejaVu Sans into the
# Droid Sans Fallback subset, which has none; see README.md.
import sys
from fontTools.ttLib import TTFont
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.pens.transformPen import TransformPen
src_path, dejavu, out = sys.argv[1:4]
sym = '⟳✓⚠●▌☐⬆✔↻○◉'
d = TTFont(dejavu)
g = TTFont(src_path)
sc = g['head'].unitsPerEm / d['head'].unitsPerEm
dcm = d.getBestCmap(); dgs = d.getGlyphSet()
for c in sym:
    src = dcm[ord(c)]
    name = 'uni%04X' % ord(c)
    pen = TTGlyphPen(None)
    dgs[src].draw(TransformPen(pen, (sc, 0, 0, sc, 0, 0)))
    glyph = pen.glyph()
    g['glyf'][name] = glyph
    glyph.recalcBounds(g['glyf'])
    w, _ = d['hmtx'][src]
    g['hmtx'][name] = (round(w * sc), getattr(glyph, 'xMin', 0))
    for t in g['cmap'].tables:
        if t.isUnicode():
            t.cmap[ord(c)] = name
g['maxp'].numGlyphs = len(g.getGlyphOrder())
g.save(out)
