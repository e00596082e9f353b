package org.likra.study;

import java.nio.file.Path;

/**
 * Where a study keeps its files: {@code plan.json}; {@code world/} (the generated benchmark); {@code bases/<id>/}
 * (each base model's pretraining run and checkpoint: large, never committed); {@code cells/<id>/} (the small
 * outputs every report is computed from: {@code base.json.gz}, {@code selection.json},
 * {@code h<seed>/<kind>-<name>.json.gz}); {@code heads/<id>/positive|negative/} (the main arm's adapters of the
 * first head seed at the largest N, in PEFT's format, for {@code likra eval}); {@code report/} (report.json, CSV,
 * PNG, Markdown).
 */
public record StudyLayout(Path root) {
    public Path plan() {
        return root.resolve("plan.json");
    }

    public Path world() {
        return root.resolve("world");
    }

    public Path corpus() {
        return world().resolve("corpus.txt");
    }

    public Path baseRun(String baseId) {
        return root.resolve("bases").resolve(baseId);
    }

    /** The base model every head is trained on: the run's model with the lowest held-out loss. */
    public Path baseModel(String baseId) {
        return baseRun(baseId).resolve(org.likra.train.BestModel.DIR);
    }

    public Path cells() {
        return root.resolve("cells");
    }

    public Path baseScores(String baseId) {
        return cells().resolve(baseId).resolve("base.json.gz");
    }

    public Path selection(String baseId) {
        return cells().resolve(baseId).resolve("selection.json");
    }

    public Path head(String baseId, long headSeed, String kind, String name) {
        return cells().resolve(baseId).resolve("h" + headSeed).resolve(kind + "-" + name + ".json.gz");
    }

    /** The kept adapters of one base model: {@code positive/} and {@code negative/}. */
    public Path heads(String baseId) {
        return root.resolve("heads").resolve(baseId);
    }

    public Path report() {
        return root.resolve("report");
    }

    public Path lock() {
        return root.resolve(".lock");
    }
}
