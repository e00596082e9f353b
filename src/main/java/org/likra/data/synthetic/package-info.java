/**
 * A seeded synthetic knowledge benchmark for Likra experiments: {@link org.likra.data.synthetic.SyntheticBenchmark#generate}
 * makes a world of people, cities and arithmetic facts ({@link org.likra.data.synthetic.World}), a pretraining
 * corpus that states every fact (and some false ones, the misconceptions), and tagged multiple-choice questions in
 * train, validation and test splits whose questions mention only the entities their split may mention.
 */
package org.likra.data.synthetic;
