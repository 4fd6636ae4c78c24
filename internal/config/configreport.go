package config

import (
	"fmt"
	"regexp"

	"github.com/orgiam/orgiam/internal/store"
)

var (
	// AWS Config's ConfigurationAggregatorName: [\w\-]+, 1 to 256 characters.
	aggregatorRe = regexp.MustCompile(`^[\w-]{1,256}$`)
)

// validateConfigReport checks the config-report settings when they are
// given. The aggregator name is required by that handler only, which checks
// its presence itself (collect does not need it).
func (c *Config) validateConfigReport() error {
	bad := func(field, msg string) error { return &Error{Source: "--" + field, Msg: msg} }
	if c.ConfigAggregator != "" && !aggregatorRe.MatchString(c.ConfigAggregator) {
		return bad("config-aggregator", fmt.Sprintf("%q is not a Config aggregator name (1-256 letters, digits, '_' and '-')", c.ConfigAggregator))
	}
	if c.ConfigAggregatorRegion != "" && !regionRe.MatchString(c.ConfigAggregatorRegion) {
		return bad("config-aggregator-region", fmt.Sprintf("%q is not an AWS region (e.g. eu-west-1)", c.ConfigAggregatorRegion))
	}
	if err := store.CheckConfigReportPrefix(c.ConfigReportPrefix); err != nil {
		return bad("config-report-prefix", err.Error())
	}
	return nil
}
