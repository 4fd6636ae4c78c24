package fakeaws

import "fmt"

// ListAnalyzers: in the regions of Knobs.Regions, three accounts in four
// have an active account-zone analyzer in a region and the others none, so
// that the check for a missing analyzer sees both outcomes. Outside those
// regions there is none.

// HasAnalyzer says whether the generated world gives the account an
// analyzer in the region.
func (s *Server) HasAnalyzer(account, region string) bool {
	return s.Knobs().hasRegion(region) && hash64("access-analyzer", account, region)%4 != 0
}

func (s *Server) serveListAnalyzers(c *call) {
	acct, region := c.id.account, c.region
	analyzers := []any{}
	if s.HasAnalyzer(acct, region) {
		name := "ConsoleAnalyzer-" + fakeID("aa", acct, region)
		analyzers = append(analyzers, map[string]any{
			"arn":       fmt.Sprintf("arn:%s:access-analyzer:%s:%s:analyzer/%s", s.w.opts.Partition, region, acct, name),
			"name":      name,
			"type":      "ACCOUNT",
			"status":    "ACTIVE",
			"createdAt": s.w.opts.Now.UTC().Format("2006-01-02T15:04:05Z"),
		})
	}
	c.writeLambda(map[string]any{"analyzers": analyzers})
}
