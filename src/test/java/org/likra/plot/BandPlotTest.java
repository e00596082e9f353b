package org.likra.plot;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BandPlotTest {
    @TempDir
    Path dir;

    private static final int[] NS = {0, 32, 64, 128, 256, 512, 1024};

    /** Three series: a wide band 0.2–0.8 around 0.5, and two narrow ones high up. */
    private static BandPlot threeSeries() {
        BandPlot plot = new BandPlot("accuracy vs N", "training examples N", "accuracy").logX(true);
        for (int n : NS) {
            plot.add("wide", n, 0.5, 0.2, 0.8);
            plot.add("high", n, 0.9, 0.88, 0.92);
            plot.add("higher", n, 0.95, 0.94, 0.96);
        }
        return plot.reference("chance 0.25", 0.25).reference("type-only 0.33", 0.33);
    }

    private static Color pixel(BufferedImage image, double x, double y) {
        return new Color(image.getRGB((int) Math.round(x), (int) Math.round(y)));
    }

    @Test
    void writesAPngWithTintedBands() throws Exception {
        BandPlot plot = threeSeries();
        Path file = dir.resolve("curves/plot.png");
        plot.writePng(file);
        assertTrue(Files.isRegularFile(file));
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image);
        assertEquals(BandPlot.DEFAULT_WIDTH, image.getWidth());
        assertEquals(BandPlot.DEFAULT_HEIGHT, image.getHeight());

        BandPlot.Frame f = plot.lastFrame;
        // Between x = 128 and 256 (on the log axis) and at y = 0.42: inside the wide band, off lines and grid lines.
        double x = (f.px(128) + f.px(256)) / 2;
        Color inBand = pixel(image, x, f.py(0.42));
        Color blue = BandPlot.PALETTE[0];
        assertTrue(inBand.getRed() < 245 && inBand.getBlue() > inBand.getRed(), "band pixel " + inBand);
        // The expected blend of the band colour over white, within rounding.
        double expectedRed = 255 + BandPlot.BAND_ALPHA * (blue.getRed() - 255);
        assertEquals(expectedRed, inBand.getRed(), 6.0, "band pixel " + inBand);
        // Below the band (y = 0.1 is outside the y range; use 0.15, above the axis) the plot is white.
        Color below = pixel(image, x, f.py(0.15));
        assertEquals(Color.WHITE, below, "pixel below the band");
        // The reference line at 0.25 is drawn (dashed: some pixel along it is dark).
        boolean dark = false;
        for (int px = (int) f.px(128); px < (int) f.px(256); px++) {
            dark |= pixel(image, px, f.py(0.25)).getRed() < 180;
        }
        assertTrue(dark, "reference line at 0.25");
    }

    @Test
    void zeroHasItsOwnPositionLeftOfTheSmallestPositiveX() {
        BandPlot plot = threeSeries();
        plot.render();
        BandPlot.Frame f = plot.lastFrame;
        double step = f.px(64) - f.px(32);
        assertTrue(step > 20);
        assertEquals(step, f.px(128) - f.px(64), 1e-9);
        assertEquals(step, f.px(32) - f.px(0), 1e-9);
        assertTrue(f.px(0) > f.plot.x);
        assertTrue(f.px(1024) < f.plot.x + f.plot.width);
    }

    @Test
    void gridOfPanelsWritesOnePng() throws Exception {
        Path file = dir.resolve("grid.png");
        BandPlot.grid("panels", List.of(threeSeries(), threeSeries(), threeSeries()), 2, file);
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image);
        assertTrue(image.getWidth() > 2 * BandPlot.GRID_CELL_WIDTH);
        assertTrue(image.getHeight() >= 2 * BandPlot.GRID_CELL_HEIGHT);
    }

    @Test
    void roundTicks() {
        assertEquals(0.05, BandPlot.niceStep(0.041), 1e-12);
        assertEquals(0.1, BandPlot.niceStep(0.09), 1e-12);
        assertEquals(0.25, BandPlot.niceStep(0.23), 1e-12);
        assertEquals(200, BandPlot.niceStep(130), 1e-9);
        assertEquals(2, BandPlot.decimals(0.05));
        assertEquals(0, BandPlot.decimals(200));
    }

    @Test
    void rejectsBadInput() {
        BandPlot plot = new BandPlot("t", "x", "y");
        assertThrows(IllegalArgumentException.class, () -> plot.add("s", 1, 0.5, 0.6, 0.4));
        assertThrows(IllegalArgumentException.class, () -> plot.add("s", Double.NaN, 0.5));
        assertThrows(IllegalArgumentException.class, () -> plot.yRange(1, 0));
        BandPlot negative = new BandPlot("t", "x", "y").logX(true).add("s", -1, 0.5).add("s", 4, 0.5);
        assertThrows(IllegalArgumentException.class, negative::render);
    }
}
