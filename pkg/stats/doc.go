// Package stats holds the project's one definition of the order statistics
// its reports print: Quantile and Median. Every package that reports a
// median (attack results, robustness reports, the boundary map, the
// experiments' summaries, the benchmarks) calls these, so they agree on
// ties, on +Inf (an attack that failed) and on an empty set (NaN).
package stats
