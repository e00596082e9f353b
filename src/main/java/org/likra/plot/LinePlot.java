package org.likra.plot;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A PNG line chart of named series (XChart), written atomically. */
public final class LinePlot {
    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final Map<String, List<double[]>> series = new LinkedHashMap<>();
    private final Map<String, Double> horizontalLines = new LinkedHashMap<>();
    private boolean logX;

    public LinePlot(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public LinePlot logX(boolean on) {
        this.logX = on;
        return this;
    }

    /** Adds the point (x, y) to the series {@code name}. */
    public LinePlot add(String name, double x, double y) {
        series.computeIfAbsent(name, k -> new ArrayList<>()).add(new double[] {x, y});
        return this;
    }

    /** A dashed reference line at height y across the whole x range. */
    public LinePlot horizontal(String name, double y) {
        horizontalLines.put(name, y);
        return this;
    }

    public void writePng(Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(560).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        chart.getStyler().setXAxisLogarithmic(logX);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, List<double[]>> e : series.entrySet()) {
            List<double[]> points = e.getValue();
            if (points.isEmpty()) {
                continue;
            }
            double[] xs = points.stream().mapToDouble(p -> p[0]).toArray();
            double[] ys = points.stream().mapToDouble(p -> p[1]).toArray();
            for (double x : xs) {
                minX = Math.min(minX, x);
                maxX = Math.max(maxX, x);
            }
            XYSeries s = chart.addSeries(e.getKey(), xs, ys);
            s.setMarker(points.size() > 40 ? SeriesMarkers.NONE : SeriesMarkers.CIRCLE);
        }
        if (minX <= maxX) {
            for (Map.Entry<String, Double> h : horizontalLines.entrySet()) {
                XYSeries s = chart.addSeries(h.getKey(), new double[] {minX, maxX},
                        new double[] {h.getValue(), h.getValue()});
                s.setMarker(SeriesMarkers.NONE);
                s.setLineStyle(new java.awt.BasicStroke(1.5f, java.awt.BasicStroke.CAP_BUTT,
                        java.awt.BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
            }
        }
        org.likra.io.AtomicFiles.writeBytes(file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }
}
