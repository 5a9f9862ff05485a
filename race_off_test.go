//go:build !race

package pickle

// raceEnabled reports whether the tests run under the race detector, whose
// shadow memory multiplies a process's resident size.
const raceEnabled = false
