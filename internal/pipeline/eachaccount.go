package pipeline

import "sync"

// accountReads bounds the accounts whose files are read at once by the
// steps that read every account of a run (finalize, region items).
const accountReads = 16

// eachAccount calls fn(i) for every i < n, at most accountReads at once,
// and returns the error of the lowest i that failed, whatever the order in
// which they ended.
func eachAccount(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, accountReads)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
