package org.likra.plot;

import org.likra.util.AtomicFiles;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import javax.imageio.ImageIO;

/**
 * A learning-curve chart drawn with Java2D and written as a PNG: named series of points (x, y) joined by a line with
 * markers, each point optionally carrying an interval [low, high] drawn as a translucent band around the line, plus
 * dashed, labelled horizontal reference lines (e.g. chance accuracy).
 *
 * <p>Layout: title on top, y axis on the left with round ticks (1, 2, 2.5 or 5 × 10<sup>k</sup> apart), reference-line
 * labels just right of the plot area, and the legend beside the plot so it never covers data. With
 * {@link #logX(boolean)} the x axis is log<sub>2</sub> with a labelled tick at every x value in the data; x = 0 is
 * then drawn one octave left of the smallest positive x, labelled "0", with a break mark on the axis between them.
 *
 * <p>Series take the Okabe–Ito colour-blind-safe colours in the order they are first added (blue, vermillion,
 * bluish green, orange, reddish purple, sky blue, yellow, black) and distinct marker shapes, so the chart also reads
 * in grey scale (a series of over 40 points, such as a loss curve, is drawn without markers). {@link #grid} puts
 * several charts in one PNG as small multiples sharing one legend, a series keeping its colour in every panel.
 */
public final class BandPlot {
    public static final int DEFAULT_WIDTH = 1000;
    public static final int DEFAULT_HEIGHT = 620;
    /** The default size of one panel of {@link #grid}. */
    public static final int GRID_CELL_WIDTH = 560;
    public static final int GRID_CELL_HEIGHT = 380;

    /** Okabe & Ito (2008) colours, in the order series receive them. */
    static final Color[] PALETTE = {
            new Color(0x0072B2), // blue
            new Color(0xD55E00), // vermillion
            new Color(0x009E73), // bluish green
            new Color(0xE69F00), // orange
            new Color(0xCC79A7), // reddish purple
            new Color(0x56B4E9), // sky blue
            new Color(0xF0E442), // yellow
            new Color(0x000000), // black
    };
    /** Series with more points than this are drawn without markers. */
    static final int MAX_MARKED_POINTS = 40;
    /** Opacity of the interval bands. */
    static final float BAND_ALPHA = 0.18f;
    private static final Color GRID_COLOUR = new Color(0xE4E4E4);
    private static final Color AXIS_COLOUR = new Color(0x555555);
    private static final Color TEXT_COLOUR = new Color(0x222222);
    private static final Color REFERENCE_COLOUR = new Color(0x666666);
    private static final String FONT = Font.SANS_SERIF;

    private record Point(double x, double y, double low, double high) {
        boolean hasBand() {
            return Double.isFinite(low) && Double.isFinite(high);
        }
    }

    private record Reference(String label, double y) {
    }

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final Map<String, List<Point>> series = new LinkedHashMap<>();
    private final List<Reference> references = new ArrayList<>();
    private boolean logX;
    private int width = DEFAULT_WIDTH;
    private int height = DEFAULT_HEIGHT;
    private double yMin = Double.NaN;
    private double yMax = Double.NaN;
    /** The mapping from data to pixels of the last render (for tests). */
    Frame lastFrame;

    public BandPlot(String title, String xLabel, String yLabel) {
        this.title = title == null ? "" : title;
        this.xLabel = xLabel == null ? "" : xLabel;
        this.yLabel = yLabel == null ? "" : yLabel;
    }

    /** A log<sub>2</sub> x axis (x must then be ≥ 0; x = 0 gets its own position at the left). */
    public BandPlot logX(boolean on) {
        this.logX = on;
        return this;
    }

    /** The image size in pixels of {@link #render()} and {@link #writePng(Path)}. */
    public BandPlot size(int width, int height) {
        if (width < 200 || height < 150) {
            throw new IllegalArgumentException("BandPlot: size " + width + "x" + height + " is too small");
        }
        this.width = width;
        this.height = height;
        return this;
    }

    /** Fixes the y axis range instead of fitting it to the data, bands and reference lines. */
    public BandPlot yRange(double min, double max) {
        if (!(min < max)) {
            throw new IllegalArgumentException("BandPlot: y range [" + min + ", " + max + "] is empty");
        }
        this.yMin = min;
        this.yMax = max;
        return this;
    }

    /** Adds the point (x, y) with the interval [low, high] to the series {@code name}. */
    public BandPlot add(String name, double x, double y, double low, double high) {
        if (!Double.isFinite(x) || !Double.isFinite(y)) {
            throw new IllegalArgumentException("BandPlot: point (" + x + ", " + y + ") of " + name + " is not finite");
        }
        if (Double.isFinite(low) && Double.isFinite(high) && low > high) {
            throw new IllegalArgumentException("BandPlot: interval [" + low + ", " + high + "] of " + name
                    + " at x=" + x + " is reversed");
        }
        series.computeIfAbsent(name, k -> new ArrayList<>()).add(new Point(x, y, low, high));
        return this;
    }

    /** Adds the point (x, y) without an interval to the series {@code name}. */
    public BandPlot add(String name, double x, double y) {
        return add(name, x, y, Double.NaN, Double.NaN);
    }

    /** A dashed horizontal reference line at height y, labelled e.g. "chance 0.25". */
    public BandPlot reference(String label, double y) {
        if (!Double.isFinite(y)) {
            throw new IllegalArgumentException("BandPlot: reference " + label + " at " + y);
        }
        references.add(new Reference(label, y));
        return this;
    }

    /** The chart as an image of the configured size. */
    public BufferedImage render() {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = graphics(image);
        Map<String, Integer> colours = colourIndex(List.of(this));
        lastFrame = draw(g, new Rectangle(0, 0, width, height), colours, true, 1.0f, null);
        g.dispose();
        return image;
    }

    /** Writes the chart as a PNG, atomically (temporary file, then rename). */
    public void writePng(Path file) throws IOException {
        writeImage(render(), file);
    }

    /** Small multiples: the panels in a grid of {@code columns} columns with one shared legend on the right. */
    public static BufferedImage renderGrid(String title, List<BandPlot> panels, int columns) {
        if (panels.isEmpty() || columns < 1) {
            throw new IllegalArgumentException("BandPlot.grid: " + panels.size() + " panels in " + columns
                    + " columns");
        }
        int cols = Math.min(columns, panels.size());
        int rows = (panels.size() + cols - 1) / cols;
        float scale = 0.85f;
        Map<String, Integer> colours = colourIndex(panels);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = graphics(probe);
        int legendWidth = legendWidth(pg, colours.keySet(), scale);
        pg.dispose();
        boolean hasTitle = title != null && !title.isEmpty();
        int titleHeight = hasTitle ? 46 : 8;
        int w = cols * GRID_CELL_WIDTH + legendWidth + 16;
        int h = titleHeight + rows * GRID_CELL_HEIGHT + 8;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = graphics(image);
        if (hasTitle) {
            g.setFont(fitted(g, new Font(FONT, Font.BOLD, 21), title, w - 24));
            g.setColor(TEXT_COLOUR);
            drawCentred(g, title, w / 2.0, 32);
        }
        Frame first = null;
        for (int i = 0; i < panels.size(); i++) {
            Rectangle cell = new Rectangle((i % cols) * GRID_CELL_WIDTH, titleHeight + (i / cols) * GRID_CELL_HEIGHT,
                    GRID_CELL_WIDTH, GRID_CELL_HEIGHT);
            Frame f = panels.get(i).draw(g, cell, colours, false, scale, null);
            panels.get(i).lastFrame = f;
            if (first == null) {
                first = f;
            }
        }
        boolean anyBand = panels.stream().anyMatch(BandPlot::hasAnyBand);
        drawLegend(g, cols * GRID_CELL_WIDTH + 8, first.plot.y, colours, anyBand, scale);
        g.dispose();
        return image;
    }

    /** Writes {@link #renderGrid} as one PNG, atomically. */
    public static void grid(String title, List<BandPlot> panels, int columns, Path file) throws IOException {
        writeImage(renderGrid(title, panels, columns), file);
    }

    /** Writes {@link #renderGrid} without an overall title as one PNG, atomically. */
    public static void grid(List<BandPlot> panels, int columns, Path file) throws IOException {
        grid("", panels, columns, file);
    }

    // ---------------------------------------------------------------------------------------------------------------

    /** The data-to-pixel mapping of one drawn panel. */
    static final class Frame {
        final Rectangle plot;
        final boolean log;
        final double zeroPosition;
        final double xLo, xHi, yLo, yHi;
        /** The x tick labels drawn, left to right (a label that would overlap its left neighbour is not drawn). */
        final List<String> xTickLabels = new ArrayList<>();
        /** The names in the legend, top to bottom (empty where the panel has none). */
        final List<String> legend = new ArrayList<>();

        Frame(Rectangle plot, boolean log, double zeroPosition, double xLo, double xHi, double yLo, double yHi) {
            this.plot = plot;
            this.log = log;
            this.zeroPosition = zeroPosition;
            this.xLo = xLo;
            this.xHi = xHi;
            this.yLo = yLo;
            this.yHi = yHi;
        }

        /** x on the axis scale: log2 x, with 0 at its own position, or x itself on a linear axis. */
        double axisX(double x) {
            if (!log) {
                return x;
            }
            return x <= 0 ? zeroPosition : Math.log(x) / Math.log(2);
        }

        double px(double x) {
            return plot.x + (axisX(x) - xLo) / (xHi - xLo) * plot.width;
        }

        double py(double y) {
            return plot.y + plot.height - (y - yLo) / (yHi - yLo) * plot.height;
        }
    }

    private boolean hasAnyBand() {
        return series.values().stream().flatMap(List::stream).anyMatch(Point::hasBand);
    }

    private static Graphics2D graphics(BufferedImage image) {
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        return g;
    }

    private static void writeImage(BufferedImage image, Path file) throws IOException {
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("BandPlot: no PNG writer available");
            }
        });
    }

    /** Series names, in order of first appearance across the panels, mapped to their palette index. */
    private static Map<String, Integer> colourIndex(List<BandPlot> panels) {
        Map<String, Integer> index = new LinkedHashMap<>();
        for (BandPlot p : panels) {
            for (String name : p.series.keySet()) {
                index.putIfAbsent(name, index.size());
            }
        }
        return index;
    }

    private static Color colour(int index) {
        return PALETTE[index % PALETTE.length];
    }

    private static Color translucent(Color c, float alpha) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), Math.round(alpha * 255));
    }

    /** The marker of series {@code index}, centred at (x, y), about {@code size} pixels across. */
    private static Shape marker(int index, double x, double y, double size) {
        double r = size / 2;
        switch (index % 5) {
            case 0:
                return new Ellipse2D.Double(x - r, y - r, size, size);
            case 1: {
                double s = r * 0.9;
                return new Rectangle2D.Double(x - s, y - s, 2 * s, 2 * s);
            }
            case 2: {
                Path2D.Double p = new Path2D.Double();
                double s = r * 1.25;
                p.moveTo(x, y - s);
                p.lineTo(x + s, y);
                p.lineTo(x, y + s);
                p.lineTo(x - s, y);
                p.closePath();
                return p;
            }
            case 3: {
                Path2D.Double p = new Path2D.Double();
                double s = r * 1.2;
                p.moveTo(x, y - s);
                p.lineTo(x + s, y + s * 0.8);
                p.lineTo(x - s, y + s * 0.8);
                p.closePath();
                return p;
            }
            default: {
                Path2D.Double p = new Path2D.Double();
                double s = r * 1.2;
                p.moveTo(x, y + s);
                p.lineTo(x + s, y - s * 0.8);
                p.lineTo(x - s, y - s * 0.8);
                p.closePath();
                return p;
            }
        }
    }

    /** Draws this chart into {@code area}; returns the mapping used. */
    private Frame draw(Graphics2D g, Rectangle area, Map<String, Integer> colours, boolean withLegend, float scale,
                       double[] yOverride) {
        Font titleFont = new Font(FONT, Font.BOLD, withLegend ? Math.round(20 * scale) : Math.round(18 * scale));
        Font axisFont = new Font(FONT, Font.PLAIN, Math.round(15 * scale));
        Font tickFont = new Font(FONT, Font.PLAIN, Math.round(13 * scale));
        Font referenceFont = new Font(FONT, Font.PLAIN, Math.round(12.5f * scale));

        // X axis scale.
        TreeSet<Double> xs = new TreeSet<>();
        for (List<Point> pts : series.values()) {
            for (Point p : pts) {
                xs.add(p.x);
            }
        }
        boolean log = logX && !xs.isEmpty() && xs.last() > 0;
        if (log && xs.first() < 0) {
            throw new IllegalArgumentException("BandPlot: log x axis with negative x = " + xs.first());
        }
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

        // Y axis range and ticks.
        double lo, hi;
        if (yOverride != null) {
            lo = yOverride[0];
            hi = yOverride[1];
        } else if (!Double.isNaN(yMin)) {
            lo = yMin;
            hi = yMax;
        } else {
            lo = Double.POSITIVE_INFINITY;
            hi = Double.NEGATIVE_INFINITY;
            for (List<Point> pts : series.values()) {
                for (Point p : pts) {
                    lo = Math.min(lo, p.hasBand() ? Math.min(p.low, p.y) : p.y);
                    hi = Math.max(hi, p.hasBand() ? Math.max(p.high, p.y) : p.y);
                }
            }
            for (Reference r : references) {
                lo = Math.min(lo, r.y);
                hi = Math.max(hi, r.y);
            }
            if (lo > hi) {
                lo = 0;
                hi = 1;
            }
            double span = hi > lo ? hi - lo : Math.max(0.1, Math.abs(lo) * 0.2);
            lo -= span * 0.06;
            hi += span * 0.06;
        }
        double step = niceStep((hi - lo) / 6.0);
        int decimals = decimals(step);
        List<Double> yTicks = new ArrayList<>();
        for (long k = (long) Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
            yTicks.add(k * step);
        }

        // Margins from the text that goes around the plot area.
        g.setFont(tickFont);
        FontMetrics tm = g.getFontMetrics();
        int yTickWidth = 0;
        for (double t : yTicks) {
            yTickWidth = Math.max(yTickWidth, tm.stringWidth(format(t, decimals)));
        }
        g.setFont(axisFont);
        FontMetrics am = g.getFontMetrics();
        g.setFont(referenceFont);
        FontMetrics rm = g.getFontMetrics();
        int referenceWidth = 0;
        for (Reference r : references) {
            referenceWidth = Math.max(referenceWidth, rm.stringWidth(r.label));
        }
        int legendWidth = withLegend ? legendWidth(g, series.keySet(), scale) : 0;
        boolean hasTitle = !title.isEmpty();
        int top = area.y + (hasTitle ? Math.round(48 * scale) : Math.round(16 * scale));
        int left = area.x + Math.round(14 * scale) + am.getHeight() + Math.round(8 * scale) + yTickWidth
                + Math.round(8 * scale);
        int right = area.x + area.width - Math.round(16 * scale) - legendWidth
                - (referenceWidth > 0 ? referenceWidth + Math.round(12 * scale) : Math.round(8 * scale));
        int bottom = area.y + area.height - Math.round(14 * scale) - am.getHeight() - tm.getHeight()
                - Math.round(12 * scale);
        Rectangle plot = new Rectangle(left, top, Math.max(10, right - left), Math.max(10, bottom - top));
        Frame f = new Frame(plot, log, zeroPosition, xLo, xHi, lo, hi);

        // Title.
        if (hasTitle) {
            g.setFont(fitted(g, titleFont, title, area.width - Math.round(24 * scale)));
            g.setColor(TEXT_COLOUR);
            double w = g.getFontMetrics().stringWidth(title);
            // Centred over the plot area where it fits there, else over the whole area.
            double cx = plot.x + plot.width / 2.0;
            cx = Math.max(area.x + 12 * scale + w / 2, Math.min(cx, area.x + area.width - 12 * scale - w / 2));
            drawCentred(g, title, cx, area.y + Math.round(32 * scale));
        }

        // Grid lines and ticks.
        List<Double> xTicks = new ArrayList<>();
        if (log) {
            xTicks.addAll(xs);
        } else {
            double xStep = niceStep((xHi - xLo) / 7.0);
            for (long k = (long) Math.ceil(xLo / xStep - 1e-9); k * xStep <= xHi + xStep * 1e-9; k++) {
                xTicks.add(k * xStep);
            }
        }
        int xDecimals = log ? -1 : decimals(niceStep((xHi - xLo) / 7.0));
        g.setStroke(new BasicStroke(1f));
        g.setColor(GRID_COLOUR);
        for (double t : yTicks) {
            g.draw(new Line2D.Double(plot.x, f.py(t), plot.x + plot.width, f.py(t)));
        }
        for (double t : xTicks) {
            g.draw(new Line2D.Double(f.px(t), plot.y, f.px(t), plot.y + plot.height));
        }

        // Bands, then reference lines, then lines and markers, all clipped to the plot area.
        Shape oldClip = g.getClip();
        g.clip(plot);
        for (Map.Entry<String, List<Point>> e : series.entrySet()) {
            Color c = translucent(colour(colours.get(e.getKey())), BAND_ALPHA);
            for (List<Point> run : bandRuns(sorted(e.getValue()))) {
                Path2D.Double band = new Path2D.Double();
                for (int i = 0; i < run.size(); i++) {
                    Point p = run.get(i);
                    if (i == 0) {
                        band.moveTo(f.px(p.x), f.py(p.high));
                    } else {
                        band.lineTo(f.px(p.x), f.py(p.high));
                    }
                }
                for (int i = run.size() - 1; i >= 0; i--) {
                    band.lineTo(f.px(run.get(i).x), f.py(run.get(i).low));
                }
                band.closePath();
                g.setColor(c);
                if (run.size() == 1) {
                    // A lone interval: a short vertical bar so it stays visible.
                    Point p = run.get(0);
                    g.setStroke(new BasicStroke(6f * scale, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER));
                    g.draw(new Line2D.Double(f.px(p.x), f.py(p.low), f.px(p.x), f.py(p.high)));
                } else {
                    g.fill(band);
                }
            }
        }
        g.setStroke(new BasicStroke(1.5f * scale, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
                new float[] {7f * scale, 5f * scale}, 0f));
        g.setColor(REFERENCE_COLOUR);
        for (Reference r : references) {
            g.draw(new Line2D.Double(plot.x, f.py(r.y), plot.x + plot.width, f.py(r.y)));
        }
        g.setStroke(new BasicStroke(2.4f * scale, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        for (Map.Entry<String, List<Point>> e : series.entrySet()) {
            List<Point> pts = sorted(e.getValue());
            g.setColor(colour(colours.get(e.getKey())));
            Path2D.Double line = new Path2D.Double();
            for (int i = 0; i < pts.size(); i++) {
                if (i == 0) {
                    line.moveTo(f.px(pts.get(i).x), f.py(pts.get(i).y));
                } else {
                    line.lineTo(f.px(pts.get(i).x), f.py(pts.get(i).y));
                }
            }
            g.draw(line);
        }
        for (Map.Entry<String, List<Point>> e : series.entrySet()) {
            int index = colours.get(e.getKey());
            if (e.getValue().size() > MAX_MARKED_POINTS) {
                continue; // a dense series (a loss curve) reads better as a plain line
            }
            for (Point p : e.getValue()) {
                Shape m = marker(index, f.px(p.x), f.py(p.y), 9 * scale);
                g.setColor(colour(index));
                g.fill(m);
                g.setColor(Color.WHITE);
                g.setStroke(new BasicStroke(1f * scale));
                g.draw(m);
            }
        }
        g.setClip(oldClip);

        // Frame, ticks and labels.
        g.setColor(AXIS_COLOUR);
        g.setStroke(new BasicStroke(1.2f));
        g.draw(new Line2D.Double(plot.x, plot.y + plot.height, plot.x + plot.width, plot.y + plot.height));
        g.draw(new Line2D.Double(plot.x, plot.y, plot.x, plot.y + plot.height));
        g.setColor(new Color(0xBBBBBB));
        g.setStroke(new BasicStroke(1f));
        g.draw(new Line2D.Double(plot.x + plot.width, plot.y, plot.x + plot.width, plot.y + plot.height));
        g.draw(new Line2D.Double(plot.x, plot.y, plot.x + plot.width, plot.y));
        g.setFont(tickFont);
        g.setColor(TEXT_COLOUR);
        for (double t : yTicks) {
            double y = f.py(t);
            g.setColor(AXIS_COLOUR);
            g.draw(new Line2D.Double(plot.x - 5, y, plot.x, y));
            g.setColor(TEXT_COLOUR);
            String s = format(t, decimals);
            g.drawString(s, (float) (plot.x - 8 - tm.stringWidth(s)), (float) (y + tm.getAscent() / 2.0 - 1));
        }
        double lastLabelRight = Double.NEGATIVE_INFINITY;
        float labelBaseline = plot.y + plot.height + 8 + tm.getAscent();
        for (double t : xTicks) {
            double x = f.px(t);
            g.setColor(AXIS_COLOUR);
            g.draw(new Line2D.Double(x, plot.y + plot.height, x, plot.y + plot.height + 5));
            String s = log ? formatX(t) : format(t, xDecimals);
            double w = tm.stringWidth(s);
            if (x - w / 2 > lastLabelRight + 4) {
                g.setColor(TEXT_COLOUR);
                g.drawString(s, (float) (x - w / 2), labelBaseline);
                lastLabelRight = x + w / 2;
                f.xTickLabels.add(s);
            }
        }
        if (log && xs.first() <= 0) {
            // Axis break between x = 0 and the smallest positive x.
            double between = (f.px(0) + f.px(xs.ceiling(Double.MIN_VALUE))) / 2;
            double y = plot.y + plot.height;
            g.setColor(Color.WHITE);
            g.fill(new Rectangle2D.Double(between - 4, y - 6, 8, 12));
            g.setColor(AXIS_COLOUR);
            g.setStroke(new BasicStroke(1.3f));
            g.draw(new Line2D.Double(between - 6, y + 5, between - 1, y - 5));
            g.draw(new Line2D.Double(between + 1, y + 5, between + 6, y - 5));
        }

        // Axis titles.
        g.setFont(axisFont);
        g.setColor(TEXT_COLOUR);
        drawCentred(g, xLabel, plot.x + plot.width / 2.0, area.y + area.height - Math.round(14 * scale)
                - am.getDescent());
        AffineTransform saved = g.getTransform();
        double yTitleX = area.x + Math.round(14 * scale) + am.getAscent();
        g.rotate(-Math.PI / 2, yTitleX, plot.y + plot.height / 2.0);
        drawCentred(g, yLabel, yTitleX, plot.y + plot.height / 2.0);
        g.setTransform(saved);

        // Reference labels right of the plot, pushed apart where they would overlap.
        g.setFont(referenceFont);
        List<Reference> byHeight = new ArrayList<>(references);
        byHeight.sort(Comparator.comparingDouble(r -> -r.y));
        double previous = Double.NEGATIVE_INFINITY;
        for (Reference r : byHeight) {
            double y = Math.max(f.py(r.y) + rm.getAscent() / 2.0 - 1, previous + rm.getHeight());
            if (f.py(r.y) < plot.y || f.py(r.y) > plot.y + plot.height) {
                continue;
            }
            g.setColor(REFERENCE_COLOUR);
            g.drawString(r.label, (float) (plot.x + plot.width + 6), (float) y);
            previous = y;
        }

        if (withLegend) {
            drawLegend(g, area.x + area.width - legendWidth - Math.round(8 * scale), plot.y, colourSubset(colours),
                    hasAnyBand(), scale);
            f.legend.addAll(series.keySet());
        }
        return f;
    }

    private Map<String, Integer> colourSubset(Map<String, Integer> colours) {
        Map<String, Integer> subset = new LinkedHashMap<>();
        for (String name : series.keySet()) {
            subset.put(name, colours.get(name));
        }
        return subset;
    }

    private static int legendWidth(Graphics2D g, Iterable<String> names, float scale) {
        g.setFont(new Font(FONT, Font.PLAIN, Math.round(14 * scale)));
        FontMetrics fm = g.getFontMetrics();
        int w = 0;
        for (String n : names) {
            w = Math.max(w, fm.stringWidth(n));
        }
        return w == 0 ? 0 : w + Math.round(56 * scale);
    }

    /** The legend: per series a band swatch, a line sample with its marker, and the name. */
    private static void drawLegend(Graphics2D g, int x, int y, Map<String, Integer> colours, boolean bands,
                                   float scale) {
        if (colours.isEmpty()) {
            return;
        }
        g.setFont(new Font(FONT, Font.PLAIN, Math.round(14 * scale)));
        FontMetrics fm = g.getFontMetrics();
        int row = Math.round(26 * scale);
        int sample = Math.round(30 * scale);
        int i = 0;
        for (Map.Entry<String, Integer> e : colours.entrySet()) {
            double cy = y + Math.round(10 * scale) + i * row + row / 2.0;
            Color c = colour(e.getValue());
            if (bands) {
                g.setColor(translucent(c, BAND_ALPHA));
                g.fill(new Rectangle2D.Double(x, cy - 7 * scale, sample, 14 * scale));
            }
            g.setColor(c);
            g.setStroke(new BasicStroke(2.4f * scale, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            g.draw(new Line2D.Double(x, cy, x + sample, cy));
            Shape m = marker(e.getValue(), x + sample / 2.0, cy, 9 * scale);
            g.fill(m);
            g.setColor(Color.WHITE);
            g.setStroke(new BasicStroke(1f * scale));
            g.draw(m);
            g.setColor(TEXT_COLOUR);
            g.drawString(e.getKey(), x + sample + Math.round(10 * scale), (float) (cy + fm.getAscent() / 2.0 - 1));
            i++;
        }
    }

    private static List<Point> sorted(List<Point> points) {
        List<Point> s = new ArrayList<>(points);
        s.sort(Comparator.comparingDouble(Point::x));
        return s;
    }

    /** Maximal runs of consecutive points (by x) that all carry an interval. */
    private static List<List<Point>> bandRuns(List<Point> sorted) {
        List<List<Point>> runs = new ArrayList<>();
        List<Point> run = new ArrayList<>();
        for (Point p : sorted) {
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

    /** {@code font}, made smaller (down to 60%) until {@code s} fits in {@code maxWidth} pixels. */
    private static Font fitted(Graphics2D g, Font font, String s, int maxWidth) {
        Font f = font;
        while (g.getFontMetrics(f).stringWidth(s) > maxWidth && f.getSize2D() > font.getSize2D() * 0.6f) {
            f = f.deriveFont(f.getSize2D() - 0.5f);
        }
        return f;
    }

    private static void drawCentred(Graphics2D g, String s, double cx, double baseline) {
        if (s == null || s.isEmpty()) {
            return;
        }
        g.drawString(s, (float) (cx - g.getFontMetrics().stringWidth(s) / 2.0), (float) baseline);
    }

    /** The round step (1, 2, 2.5 or 5 × 10^k) nearest above {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0) || !Double.isFinite(raw)) {
            return 1.0;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / magnitude;
        double nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
        return nice * magnitude;
    }

    /** Decimals needed to print multiples of {@code step} exactly. */
    static int decimals(double step) {
        int d = 0;
        while (d < 10 && Math.abs(step * Math.pow(10, d) - Math.rint(step * Math.pow(10, d))) > 1e-6) {
            d++;
        }
        return d;
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
