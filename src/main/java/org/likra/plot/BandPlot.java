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
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    static final Color TEXT_COLOUR = new Color(0x222222);
    static final String FONT = Font.SANS_SERIF;

    record Point(double x, double y, double low, double high) {
        boolean hasBand() {
            return Double.isFinite(low) && Double.isFinite(high);
        }
    }

    record Reference(String label, double y) {
    }

    // Read by BandPanel, which draws the chart.
    final String title;
    final String xLabel;
    final String yLabel;
    final Map<String, List<Point>> series = new LinkedHashMap<>();
    final List<Reference> references = new ArrayList<>();
    boolean logX;
    private int width = DEFAULT_WIDTH;
    private int height = DEFAULT_HEIGHT;
    double yMin = Double.NaN;
    double yMax = Double.NaN;
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

    boolean hasAnyBand() {
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

    static Color colour(int index) {
        return PALETTE[index % PALETTE.length];
    }

    static Color translucent(Color c, float alpha) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), Math.round(alpha * 255));
    }

    /** The marker of series {@code index}, centred at (x, y), about {@code size} pixels across. */
    static Shape marker(int index, double x, double y, double size) {
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

    /** Draws this chart into {@code area} ({@link BandPanel}); returns the mapping used. */
    private Frame draw(Graphics2D g, Rectangle area, Map<String, Integer> colours, boolean withLegend, float scale,
                       double[] yOverride) {
        return new BandPanel(this, g, area, withLegend, scale).draw(colours, withLegend, yOverride);
    }

    /** The entries of {@code colours} of this chart's series. */
    Map<String, Integer> colourSubset(Map<String, Integer> colours) {
        Map<String, Integer> subset = new LinkedHashMap<>();
        for (String name : series.keySet()) {
            subset.put(name, colours.get(name));
        }
        return subset;
    }

    static int legendWidth(Graphics2D g, Iterable<String> names, float scale) {
        g.setFont(new Font(FONT, Font.PLAIN, Math.round(14 * scale)));
        FontMetrics fm = g.getFontMetrics();
        int w = 0;
        for (String n : names) {
            w = Math.max(w, fm.stringWidth(n));
        }
        return w == 0 ? 0 : w + Math.round(56 * scale);
    }

    /** The legend: per series a band swatch, a line sample with its marker, and the name. */
    static void drawLegend(Graphics2D g, int x, int y, Map<String, Integer> colours, boolean bands,
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

    /** {@code font}, made smaller (down to 60%) until {@code s} fits in {@code maxWidth} pixels. */
    static Font fitted(Graphics2D g, Font font, String s, int maxWidth) {
        Font f = font;
        while (g.getFontMetrics(f).stringWidth(s) > maxWidth && f.getSize2D() > font.getSize2D() * 0.6f) {
            f = f.deriveFont(f.getSize2D() - 0.5f);
        }
        return f;
    }

    static void drawCentred(Graphics2D g, String s, double cx, double baseline) {
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
}
