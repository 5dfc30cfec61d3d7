package model

// SetMLPRows sets how many rows the MLP takes at a time, for a test, and
// returns a function that restores it.
func SetMLPRows(n int) (restore func()) {
	old := mlpRows
	mlpRows = n
	return func() { mlpRows = old }
}
