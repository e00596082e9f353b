/**
 * A seeded synthetic knowledge benchmark for Likra experiments: {@link org.likra.data.synthetic.SyntheticBenchmark#generate}
 * makes a world of people, cities and arithmetic facts ({@link org.likra.data.synthetic.World}), a pretraining
 * corpus that states every fact, and tagged multiple-choice questions split so that no train question mentions
 * a test entity.
 */
package org.likra.data.synthetic;
