package org.likra.study;

import org.likra.data.MultipleChoiceQuestion;
import org.likra.util.UserError;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The finished cells of a study folder, indexed for the report: per base model its test scores and, per head seed,
 * the scores of each head at each N, all aligned to the world's test questions.
 */
final class StudyData {
    /** One base model and its heads. */
    static final class Base {
        final String id;
        final String model;
        final long seed;
        final CellScores cell;
        final List<double[]> test;
        /** head seed → "kind-name" → N → scores. */
        final Map<Long, Map<String, Map<Integer, List<double[]>>>> heads = new LinkedHashMap<>();

        Base(String id, String model, long seed, CellScores cell, List<double[]> test) {
            this.id = id;
            this.model = model;
            this.seed = seed;
            this.cell = cell;
            this.test = test;
        }

        /** The scores of head {@code key} ("positive-positive", "negative-main", ...) of a head seed at N, or null. */
        List<double[]> head(long headSeed, String key, int n) {
            Map<String, Map<Integer, List<double[]>>> h = heads.get(headSeed);
            Map<Integer, List<double[]>> byN = h == null ? null : h.get(key);
            return byN == null ? null : byN.get(n);
        }
    }

    final StudyLayout layout;
    final StudyPlan plan;
    final StudyWorld world;
    final List<MultipleChoiceQuestion> test;
    final int[] ns;
    final int[] cluster;
    final List<String> clusterNames = new ArrayList<>();
    /** model preset → its bases with finished base cells, in plan order. */
    final Map<String, List<Base>> bySize = new LinkedHashMap<>();

    StudyData(Path dir) {
        layout = new StudyLayout(dir);
        if (!Files.isRegularFile(layout.plan())) {
            throw new UserError(dir + " is not a study folder (no plan.json); run `likra study --plan ... --out "
                    + dir + "` first");
        }
        plan = StudyPlan.read(layout.plan());
        world = StudyWorld.generate(plan);
        test = world.test();
        ns = StudyCells.ns(plan, world.train().size());
        Map<String, Integer> clusterIds = new HashMap<>();
        cluster = new int[test.size()];
        for (int i = 0; i < test.size(); i++) {
            String e = StudyWorld.entity(test.get(i));
            Integer c = clusterIds.get(e);
            if (c == null) {
                c = clusterIds.size();
                clusterIds.put(e, c);
                clusterNames.add(e);
            }
            cluster[i] = c;
        }
        List<String> ids = test.stream().map(MultipleChoiceQuestion::id).toList();
        for (StudyPlan.Base b : plan.bases()) {
            for (long seed : b.seeds()) {
                String id = StudyPlan.baseId(b, seed);
                Path f = layout.baseScores(id);
                if (!Files.exists(f)) {
                    continue;
                }
                CellScores base = CellScores.read(f);
                Base entry = new Base(id, b.model(), seed, base, align(base.questions().get("test"),
                        base.scores().get("test"), ids, f));
                for (long h : plan.heads().seeds()) {
                    Map<String, Map<Integer, List<double[]>>> heads = new LinkedHashMap<>();
                    Path hdir = layout.cells().resolve(id).resolve("h" + h);
                    if (Files.isDirectory(hdir)) {
                        try (var files = Files.list(hdir)) {
                            for (Path hf : files.filter(p -> p.getFileName().toString().endsWith(".json.gz"))
                                    .sorted().toList()) {
                                CellScores c = CellScores.read(hf);
                                Map<Integer, List<double[]>> byN = new LinkedHashMap<>();
                                for (Map.Entry<String, List<double[]>> e : c.scores().entrySet()) {
                                    byN.put(Integer.parseInt(e.getKey()), align(c.questions().get(e.getKey()),
                                            e.getValue(), ids, hf));
                                }
                                heads.put(c.kind() + "-" + c.name(), byN);
                            }
                        } catch (java.io.IOException e) {
                            throw new UserError(hdir + ": " + e.getMessage());
                        }
                    }
                    entry.heads.put(h, heads);
                }
                bySize.computeIfAbsent(b.model(), k -> new ArrayList<>()).add(entry);
            }
        }
    }

    /** Scores reordered to the world's test questions; the cell must have scored exactly those. */
    private static List<double[]> align(List<String> cellIds, List<double[]> scores, List<String> ids, Path file) {
        if (cellIds == null || !cellIds.equals(ids)) {
            throw new UserError(file + ": its questions are not this study's test questions (was the plan or the "
                    + "code's world generator changed?); delete the cell to recompute it");
        }
        return scores;
    }
}
