//go:build race

package tools_test

// raceDetector says the tests run under -race, which slows the simulator
// several times over: the largest scenarios run smaller then.
const raceDetector = true
