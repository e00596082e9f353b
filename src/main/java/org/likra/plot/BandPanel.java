package org.likra.plot;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * One {@link BandPlot} drawn into a rectangle of an image, in {@link BandPlot}'s layout: the axes fitted to its data,
 * the title, grid, bands, reference lines, lines and markers, the frame with its ticks and labels, the axis titles,
 * the reference labels and (for a chart alone) the legend, in that order.
 */
final class BandPanel {
    private static final Color GRID_COLOUR = new Color(0xE4E4E4);
    private static final Color AXIS_COLOUR = new Color(0x555555);
    private static final Color REFERENCE_COLOUR = new Color(0x666666);

    private final BandPlot chart;
    private final Graphics2D g;
    private final Rectangle area;
    private final float scale;
    private final Font titleFont;
    private final Font axisFont;
    private final Font tickFont;
    private final Font referenceFont;
    // The font metrics of the tick labels, the axis titles and the reference labels (set by layout()).
    private FontMetrics tm;
    private FontMetrics am;
    private FontMetrics rm;
    /** The legend's width (0 without one; set by layout()). */
    private int legendWidth;

    BandPanel(BandPlot chart, Graphics2D g, Rectangle area, boolean withLegend, float scale) {
        this.chart = chart;
        this.g = g;
        this.area = area;
        this.scale = scale;
        this.titleFont = new Font(BandPlot.FONT, Font.BOLD, withLegend ? Math.round(20 * scale)
                : Math.round(18 * scale));
        this.axisFont = new Font(BandPlot.FONT, Font.PLAIN, Math.round(15 * scale));
        this.tickFont = new Font(BandPlot.FONT, Font.PLAIN, Math.round(13 * scale));
        this.referenceFont = new Font(BandPlot.FONT, Font.PLAIN, Math.round(12.5f * scale));
    }

    /**
     * Draws the chart, its series in {@code colours}' colours, with the legend where {@code withLegend}, the y axis
     * over {@code yOverride} ({min, max}) where it is not null; returns the mapping used.
     */
    BandPlot.Frame draw(Map<String, Integer> colours, boolean withLegend, double[] yOverride) {
        TreeSet<Double> xs = new TreeSet<>();
        for (List<BandPlot.Point> pts : chart.series.values()) {
            for (BandPlot.Point p : pts) {
                xs.add(p.x());
            }
        }
        boolean log = chart.logX && !xs.isEmpty() && xs.last() > 0;
        if (log && xs.first() < 0) {
            throw new IllegalArgumentException("BandPlot: log x axis with negative x = " + xs.first());
        }
        double[] x = xRange(xs, log);
        double[] y = yRange(yOverride);
        double step = BandPlot.niceStep((y[1] - y[0]) / 6.0);
        int decimals = BandPlot.decimals(step);
        List<Double> yTicks = new ArrayList<>();
        for (long k = (long) Math.ceil(y[0] / step - 1e-9); k * step <= y[1] + step * 1e-9; k++) {
            yTicks.add(k * step);
        }
        BandPlot.Frame f = layout(yTicks, decimals, withLegend, log, x, y);
        drawTitle(f.plot);
        List<Double> xTicks = new ArrayList<>();
        if (log) {
            xTicks.addAll(xs);
        } else {
            double xStep = BandPlot.niceStep((x[1] - x[0]) / 7.0);
            for (long k = (long) Math.ceil(x[0] / xStep - 1e-9); k * xStep <= x[1] + xStep * 1e-9; k++) {
                xTicks.add(k * xStep);
            }
        }
        int xDecimals = log ? -1 : BandPlot.decimals(BandPlot.niceStep((x[1] - x[0]) / 7.0));
        drawGrid(f, yTicks, xTicks);
        drawData(f, colours);
        drawFrame(f.plot);
        drawYTicks(f, yTicks, decimals);
        drawXTicks(f, xTicks, log, xDecimals);
        if (log && xs.first() <= 0) {
            drawAxisBreak(f, xs.ceiling(Double.MIN_VALUE));
        }
        drawAxisTitles(f.plot);
        drawReferenceLabels(f);
        if (withLegend) {
            BandPlot.drawLegend(g, area.x + area.width - legendWidth - Math.round(8 * scale), f.plot.y,
                    chart.colourSubset(colours), chart.hasAnyBand(), scale);
            f.legend.addAll(chart.series.keySet());
        }
        return f;
    }

    /**
     * {xLo, xHi, zeroPosition} on the axis scale: on a log axis log2 of the x values, x = 0 one octave left of the
     * smallest positive x (zeroPosition; NaN on a linear axis), padded on both sides.
     */
    private static double[] xRange(TreeSet<Double> xs, boolean log) {
        double zeroPosition = Double.NaN;
        double xLo, xHi;
        if (xs.isEmpty()) {
            xLo = 0;
            xHi = 1;
        } else if (log) {
            double minPositive = xs.ceiling(Double.MIN_VALUE);
            double lg = Math.log(minPositive) / Math.log(2);
            zeroPosition = lg - 1.0;
            double lo = xs.first() <= 0 ? zeroPosition : lg;
            double hi = Math.log(xs.last()) / Math.log(2);
            double pad = Math.max(0.35, (hi - lo) * 0.04);
            xLo = lo - pad;
            xHi = hi + pad;
        } else {
            double lo = xs.first(), hi = xs.last();
            double span = hi > lo ? hi - lo : Math.max(1.0, Math.abs(lo));
            xLo = lo - span * 0.04;
            xHi = hi + span * 0.04;
        }
        return new double[] {xLo, xHi, zeroPosition};
    }

    /** {min, max} of the y axis: the override, the chart's fixed range, or the data, bands and references padded. */
    private double[] yRange(double[] yOverride) {
        double lo, hi;
        if (yOverride != null) {
            lo = yOverride[0];
            hi = yOverride[1];
        } else if (!Double.isNaN(chart.yMin)) {
            lo = chart.yMin;
            hi = chart.yMax;
        } else {
            lo = Double.POSITIVE_INFINITY;
            hi = Double.NEGATIVE_INFINITY;
            for (List<BandPlot.Point> pts : chart.series.values()) {
                for (BandPlot.Point p : pts) {
                    lo = Math.min(lo, p.hasBand() ? Math.min(p.low(), p.y()) : p.y());
                    hi = Math.max(hi, p.hasBand() ? Math.max(p.high(), p.y()) : p.y());
                }
            }
            for (BandPlot.Reference r : chart.references) {
                lo = Math.min(lo, r.y());
                hi = Math.max(hi, r.y());
            }
            if (lo > hi) {
                lo = 0;
                hi = 1;
            }
            double span = hi > lo ? hi - lo : Math.max(0.1, Math.abs(lo) * 0.2);
            lo -= span * 0.06;
            hi += span * 0.06;
        }
        return new double[] {lo, hi};
    }

    /** The plot area: the panel less the margins of the text around it (title, tick labels, axis titles, legend). */
    private BandPlot.Frame layout(List<Double> yTicks, int decimals, boolean withLegend, boolean log, double[] x,
                                  double[] y) {
        g.setFont(tickFont);
        tm = g.getFontMetrics();
        int yTickWidth = 0;
        for (double t : yTicks) {
            yTickWidth = Math.max(yTickWidth, tm.stringWidth(format(t, decimals)));
        }
        g.setFont(axisFont);
        am = g.getFontMetrics();
        g.setFont(referenceFont);
        rm = g.getFontMetrics();
        int referenceWidth = 0;
        for (BandPlot.Reference r : chart.references) {
            referenceWidth = Math.max(referenceWidth, rm.stringWidth(r.label()));
        }
        legendWidth = withLegend ? BandPlot.legendWidth(g, chart.series.keySet(), scale) : 0;
        int top = area.y + (!chart.title.isEmpty() ? Math.round(48 * scale) : Math.round(16 * scale));
        int left = area.x + Math.round(14 * scale) + am.getHeight() + Math.round(8 * scale) + yTickWidth
                + Math.round(8 * scale);
        int right = area.x + area.width - Math.round(16 * scale) - legendWidth
                - (referenceWidth > 0 ? referenceWidth + Math.round(12 * scale) : Math.round(8 * scale));
        int bottom = area.y + area.height - Math.round(14 * scale) - am.getHeight() - tm.getHeight()
                - Math.round(12 * scale);
        Rectangle plot = new Rectangle(left, top, Math.max(10, right - left), Math.max(10, bottom - top));
        return new BandPlot.Frame(plot, log, x[2], x[0], x[1], y[0], y[1]);
    }

    private void drawTitle(Rectangle plot) {
        String title = chart.title;
        if (title.isEmpty()) {
            return;
        }
        g.setFont(BandPlot.fitted(g, titleFont, title, area.width - Math.round(24 * scale)));
        g.setColor(BandPlot.TEXT_COLOUR);
        double w = g.getFontMetrics().stringWidth(title);
        // Centred over the plot area where it fits there, else over the whole area.
        double cx = plot.x + plot.width / 2.0;
        cx = Math.max(area.x + 12 * scale + w / 2, Math.min(cx, area.x + area.width - 12 * scale - w / 2));
        BandPlot.drawCentred(g, title, cx, area.y + Math.round(32 * scale));
    }

    private void drawGrid(BandPlot.Frame f, List<Double> yTicks, List<Double> xTicks) {
        Rectangle plot = f.plot;
        g.setStroke(new BasicStroke(1f));
        g.setColor(GRID_COLOUR);
        for (double t : yTicks) {
            g.draw(new Line2D.Double(plot.x, f.py(t), plot.x + plot.width, f.py(t)));
        }
        for (double t : xTicks) {
            g.draw(new Line2D.Double(f.px(t), plot.y, f.px(t), plot.y + plot.height));
        }
    }

    /** Bands, then reference lines, then lines and markers, all clipped to the plot area. */
    private void drawData(BandPlot.Frame f, Map<String, Integer> colours) {
        Rectangle plot = f.plot;
        Shape oldClip = g.getClip();
        g.clip(plot);
        for (Map.Entry<String, List<BandPlot.Point>> e : chart.series.entrySet()) {
            drawBands(f, e.getValue(), BandPlot.translucent(BandPlot.colour(colours.get(e.getKey())),
                    BandPlot.BAND_ALPHA));
        }
        g.setStroke(new BasicStroke(1.5f * scale, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {7f * scale, 5f * scale}, 0f));
        g.setColor(REFERENCE_COLOUR);
        for (BandPlot.Reference r : chart.references) {
            g.draw(new Line2D.Double(plot.x, f.py(r.y()), plot.x + plot.width, f.py(r.y())));
        }
        g.setStroke(new BasicStroke(2.4f * scale, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        for (Map.Entry<String, List<BandPlot.Point>> e : chart.series.entrySet()) {
            List<BandPlot.Point> pts = sorted(e.getValue());
            g.setColor(BandPlot.colour(colours.get(e.getKey())));
            Path2D.Double line = new Path2D.Double();
            for (int i = 0; i < pts.size(); i++) {
                if (i == 0) {
                    line.moveTo(f.px(pts.get(i).x()), f.py(pts.get(i).y()));
                } else {
                    line.lineTo(f.px(pts.get(i).x()), f.py(pts.get(i).y()));
                }
            }
            g.draw(line);
        }
        for (Map.Entry<String, List<BandPlot.Point>> e : chart.series.entrySet()) {
            int index = colours.get(e.getKey());
            if (e.getValue().size() > BandPlot.MAX_MARKED_POINTS) {
                continue; // a dense series (a loss curve) reads better as a plain line
            }
            for (BandPlot.Point p : e.getValue()) {
                Shape m = BandPlot.marker(index, f.px(p.x()), f.py(p.y()), 9 * scale);
                g.setColor(BandPlot.colour(index));
                g.fill(m);
                g.setColor(Color.WHITE);
                g.setStroke(new BasicStroke(1f * scale));
                g.draw(m);
            }
        }
        g.setClip(oldClip);
    }

    /** A series' intervals: a filled band over each run of points that carry one, a bar for a lone interval. */
    private void drawBands(BandPlot.Frame f, List<BandPlot.Point> points, Color c) {
        for (List<BandPlot.Point> run : bandRuns(sorted(points))) {
            Path2D.Double band = new Path2D.Double();
            for (int i = 0; i < run.size(); i++) {
                BandPlot.Point p = run.get(i);
                if (i == 0) {
                    band.moveTo(f.px(p.x()), f.py(p.high()));
                } else {
                    band.lineTo(f.px(p.x()), f.py(p.high()));
                }
            }
            for (int i = run.size() - 1; i >= 0; i--) {
                band.lineTo(f.px(run.get(i).x()), f.py(run.get(i).low()));
            }
            band.closePath();
            g.setColor(c);
            if (run.size() == 1) {
                // A lone interval: a short vertical bar so it stays visible.
                BandPlot.Point p = run.get(0);
                g.setStroke(new BasicStroke(6f * scale, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER));
                g.draw(new Line2D.Double(f.px(p.x()), f.py(p.low()), f.px(p.x()), f.py(p.high())));
            } else {
                g.fill(band);
            }
        }
    }

    private void drawFrame(Rectangle plot) {
        g.setColor(AXIS_COLOUR);
        g.setStroke(new BasicStroke(1.2f));
        g.draw(new Line2D.Double(plot.x, plot.y + plot.height, plot.x + plot.width, plot.y + plot.height));
        g.draw(new Line2D.Double(plot.x, plot.y, plot.x, plot.y + plot.height));
        g.setColor(new Color(0xBBBBBB));
        g.setStroke(new BasicStroke(1f));
        g.draw(new Line2D.Double(plot.x + plot.width, plot.y, plot.x + plot.width, plot.y + plot.height));
        g.draw(new Line2D.Double(plot.x, plot.y, plot.x + plot.width, plot.y));
    }

    private void drawYTicks(BandPlot.Frame f, List<Double> yTicks, int decimals) {
        Rectangle plot = f.plot;
        g.setFont(tickFont);
        g.setColor(BandPlot.TEXT_COLOUR);
        for (double t : yTicks) {
            double y = f.py(t);
            g.setColor(AXIS_COLOUR);
            g.draw(new Line2D.Double(plot.x - 5, y, plot.x, y));
            g.setColor(BandPlot.TEXT_COLOUR);
            String s = format(t, decimals);
            g.drawString(s, (float) (plot.x - 8 - tm.stringWidth(s)), (float) (y + tm.getAscent() / 2.0 - 1));
        }
    }

    /** The x ticks and their labels; a label that would overlap its left neighbour is left out. */
    private void drawXTicks(BandPlot.Frame f, List<Double> xTicks, boolean log, int xDecimals) {
        Rectangle plot = f.plot;
        double lastLabelRight = Double.NEGATIVE_INFINITY;
        float labelBaseline = plot.y + plot.height + 8 + tm.getAscent();
        for (double t : xTicks) {
            double x = f.px(t);
            g.setColor(AXIS_COLOUR);
            g.draw(new Line2D.Double(x, plot.y + plot.height, x, plot.y + plot.height + 5));
            String s = log ? formatX(t) : format(t, xDecimals);
            double w = tm.stringWidth(s);
            if (x - w / 2 > lastLabelRight + 4) {
                g.setColor(BandPlot.TEXT_COLOUR);
                g.drawString(s, (float) (x - w / 2), labelBaseline);
                lastLabelRight = x + w / 2;
                f.xTickLabels.add(s);
            }
        }
    }

    /** The axis break between x = 0 and the smallest positive x on a log axis. */
    private void drawAxisBreak(BandPlot.Frame f, double minPositive) {
        double between = (f.px(0) + f.px(minPositive)) / 2;
        double y = f.plot.y + f.plot.height;
        g.setColor(Color.WHITE);
        g.fill(new Rectangle2D.Double(between - 4, y - 6, 8, 12));
        g.setColor(AXIS_COLOUR);
        g.setStroke(new BasicStroke(1.3f));
        g.draw(new Line2D.Double(between - 6, y + 5, between - 1, y - 5));
        g.draw(new Line2D.Double(between + 1, y + 5, between + 6, y - 5));
    }

    private void drawAxisTitles(Rectangle plot) {
        g.setFont(axisFont);
        g.setColor(BandPlot.TEXT_COLOUR);
        BandPlot.drawCentred(g, chart.xLabel, plot.x + plot.width / 2.0, area.y + area.height
                - Math.round(14 * scale) - am.getDescent());
        AffineTransform saved = g.getTransform();
        double yTitleX = area.x + Math.round(14 * scale) + am.getAscent();
        g.rotate(-Math.PI / 2, yTitleX, plot.y + plot.height / 2.0);
        BandPlot.drawCentred(g, chart.yLabel, yTitleX, plot.y + plot.height / 2.0);
        g.setTransform(saved);
    }

    /** Reference labels right of the plot, pushed apart where they would overlap. */
    private void drawReferenceLabels(BandPlot.Frame f) {
        Rectangle plot = f.plot;
        g.setFont(referenceFont);
        List<BandPlot.Reference> byHeight = new ArrayList<>(chart.references);
        byHeight.sort(Comparator.comparingDouble(r -> -r.y()));
        double previous = Double.NEGATIVE_INFINITY;
        for (BandPlot.Reference r : byHeight) {
            double y = Math.max(f.py(r.y()) + rm.getAscent() / 2.0 - 1, previous + rm.getHeight());
            if (f.py(r.y()) < plot.y || f.py(r.y()) > plot.y + plot.height) {
                continue;
            }
            g.setColor(REFERENCE_COLOUR);
            g.drawString(r.label(), (float) (plot.x + plot.width + 6), (float) y);
            previous = y;
        }
    }

    private static List<BandPlot.Point> sorted(List<BandPlot.Point> points) {
        List<BandPlot.Point> s = new ArrayList<>(points);
        s.sort(Comparator.comparingDouble(BandPlot.Point::x));
        return s;
    }

    /** Maximal runs of consecutive points (by x) that all carry an interval. */
    private static List<List<BandPlot.Point>> bandRuns(List<BandPlot.Point> sorted) {
        List<List<BandPlot.Point>> runs = new ArrayList<>();
        List<BandPlot.Point> run = new ArrayList<>();
        for (BandPlot.Point p : sorted) {
            if (p.hasBand()) {
                run.add(p);
            } else if (!run.isEmpty()) {
                runs.add(run);
                run = new ArrayList<>();
            }
        }
        if (!run.isEmpty()) {
            runs.add(run);
        }
        return runs;
    }

    private static String format(double v, int decimals) {
        String s = String.format(Locale.ROOT, "%." + decimals + "f", v);
        return s.matches("-0(\\.0*)?") ? s.substring(1) : s;
    }

    private static String formatX(double x) {
        if (x == Math.rint(x) && Math.abs(x) < 1e15) {
            return Long.toString((long) x);
        }
        return String.format(Locale.ROOT, "%.3g", x);
    }
}
