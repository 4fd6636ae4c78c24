package pipeline

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/collect"
	"github.com/orgiam/orgiam/internal/notify"
	"github.com/orgiam/orgiam/internal/regions"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// The operations fan-out is the serverless form of `orgiam exec`: a state
// machine invokes a user's Lambda function once per account × region.
// OperationsItems builds the items, OperationsResults reads what the
// Distributed Map's ResultWriter wrote and exports the results CSV. Both
// keep the items and results in the store under <run>/exec/: only keys
// travel through the state machine.

// OperationsItemsInput is the execution input of the fan-out machine.
type OperationsItemsInput struct {
	// Run is the run prefix (<YYYY-MM-DD>/<run-id>); empty: today's date and
	// an "ops-HHMMSS" run id from the clock.
	Run string `json:"run,omitempty"`
	// Regions are the regions of every item; empty: ORGIAM_REGIONS. Either
	// may be "all-enabled" (ORGIAM_REGIONS' default): each account's items
	// are then the regions enabled in it, read with ec2:DescribeRegions.
	Regions []string `json:"regions,omitempty"`
}

// OperationsRegionError is an account whose enabled regions could not be
// read: it has no items, and the results CSV reports it as failed.
type OperationsRegionError struct {
	AccountID   string `json:"accountId"`
	AccountName string `json:"accountName"`
	Error       string `json:"error"`
}

// OperationsItem is one account × region item as the user's function
// receives it (Run and Params are added by the Map from the execution input).
type OperationsItem struct {
	AccountID   string `json:"AccountId"`
	AccountName string `json:"AccountName"`
	Region      string `json:"Region"`
	RoleArn     string `json:"RoleArn"`
}

// OperationsItemsOutput locates the items (never the items themselves: a
// state holds 256 KB).
type OperationsItemsOutput struct {
	Run         string `json:"run"`
	Count       int    `json:"count"`
	Accounts    int    `json:"accounts"`
	Key         string `json:"key"`
	ItemsBucket string `json:"itemsBucket,omitempty"`
	ItemsKey    string `json:"itemsKey,omitempty"`
	// ResultsPrefix is the object prefix of the Map's ResultWriter.
	ResultsPrefix string `json:"resultsPrefix,omitempty"`
	// RegionErrors counts the accounts whose enabled regions could not be
	// read (all-enabled), listed in <run>/exec/region-errors.json.
	RegionErrors int `json:"regionErrors,omitempty"`
}

// OperationsItemsKey, OperationsResultsCSV: the fan-out's files under exec/.
const (
	OperationsItemsFile        = "items.json"
	OperationsResultsFile      = "results.csv"
	OperationsRegionErrorsFile = "region-errors.json"
	operationsMapFolder        = "map"
)

// OperationsItems discovers the accounts of the organizations with the same
// filters as collect (Discover: --accounts, --ous, --exclude-accounts,
// SUSPENDED skipped) and writes one item per account × region to
// <run>/exec/items.json. With all-enabled, an account whose regions cannot
// be read gets no item and is listed in <run>/exec/region-errors.json; the
// other accounts keep theirs.
func OperationsItems(ctx context.Context, env *Env, in OperationsItemsInput) (OperationsItemsOutput, error) {
	env.init()
	run := in.Run
	if run == "" {
		now := env.now().UTC()
		var err error
		if run, err = store.RunPrefix(now.Format("2006-01-02"), "ops-"+now.Format("150405")); err != nil {
			return OperationsItemsOutput{}, err
		}
	} else if _, _, err := store.ParseRunPrefix(run); err != nil {
		return OperationsItemsOutput{}, fmt.Errorf("operations input: run: %w", err)
	}
	regs := in.Regions
	allEnabled := len(regs) == 1 && regs[0] == regions.AllEnabled
	if len(regs) == 0 {
		sel, err := env.Cfg.RegionSelection()
		if err != nil {
			return OperationsItemsOutput{}, err
		}
		allEnabled, regs = sel.AllEnabled, sel.Names
	}
	if allEnabled {
		regs = nil
	}
	for i, r := range regs {
		if !regions.Known(r) {
			return OperationsItemsOutput{}, fmt.Errorf("operations input: regions[%d]: %q is not an AWS region (or give [%q] alone)", i, r, regions.AllEnabled)
		}
	}
	out := OperationsItemsOutput{Run: run, Key: store.ExecKey(run, OperationsItemsFile)}
	if _, err := Discover(ctx, env, DiscoverInput{Run: run}); err != nil {
		return out, err
	}
	accounts, err := snapshot.Reader{Store: env.Store, Run: run}.Accounts(ctx)
	if err != nil {
		return out, err
	}
	perAccount := make([][]string, len(accounts))
	var regionErrs []OperationsRegionError
	if allEnabled {
		errs := make([]error, len(accounts))
		// Each account's regions are read now, with its collect role, as
		// the scan reads them, rather than taken from the latest collect run:
		// the fan-out may run where no collect ran, or after a region was
		// enabled, and its items are for the accounts as they are now.
		err := eachAccount(len(accounts), func(i int) error {
			perAccount[i], errs[i] = env.enabledRegions(ctx, accounts[i].ID)
			return ctx.Err()
		})
		if err != nil {
			return out, err
		}
		for i, a := range accounts {
			if errs[i] != nil {
				regionErrs = append(regionErrs, OperationsRegionError{AccountID: a.ID, AccountName: a.Name, Error: describe(errs[i])})
			}
		}
	} else {
		for i := range accounts {
			perAccount[i] = regs
		}
	}
	items := []OperationsItem{}
	for i, a := range accounts {
		for _, r := range perAccount[i] {
			items = append(items, OperationsItem{AccountID: a.ID, AccountName: a.Name, Region: r, RoleArn: env.CollectRoleARN(a.ID)})
		}
	}
	if len(regionErrs) > 0 {
		if err := env.putJSON(ctx, store.ExecKey(run, OperationsRegionErrorsFile), regionErrs); err != nil {
			return out, err
		}
		out.RegionErrors = len(regionErrs)
	}
	if err := env.putJSON(ctx, out.Key, items); err != nil {
		return out, err
	}
	out.Count, out.Accounts = len(items), len(accounts)
	if s3, ok := env.Store.(*store.S3); ok {
		out.ItemsBucket = s3.Bucket()
		if out.ItemsKey, err = s3.ObjectKey(out.Key); err != nil {
			return out, err
		}
		if out.ResultsPrefix, err = s3.ObjectKey(store.ExecKey(run, operationsMapFolder)); err != nil {
			return out, err
		}
	}
	return out, nil
}

// OperationsResultsInput is the fan-out Map's output: where ResultWriter put
// its manifest.
type OperationsResultsInput struct {
	Run                 string `json:"run"`
	ResultWriterDetails struct {
		Bucket string `json:"Bucket"`
		Key    string `json:"Key"`
	} `json:"ResultWriterDetails"`
}

// OperationsResultsOutput counts the items.
type OperationsResultsOutput struct {
	Run    string `json:"run"`
	Items  int    `json:"items"`
	OK     int    `json:"ok"`
	Failed int    `json:"failed"`
	Key    string `json:"key"`
	Sent   bool   `json:"sent"`
}

// resultWriterManifest is the manifest.json Step Functions' ResultWriter
// writes: the result files by status of the child executions.
type resultWriterManifest struct {
	DestinationBucket string `json:"DestinationBucket"`
	MapRunArn         string `json:"MapRunArn"`
	ResultFiles       map[string][]struct {
		Key  string `json:"Key"`
		Size int64  `json:"Size"`
	} `json:"ResultFiles"`
}

// resultWriterEntry is one child execution in a result file. Input and
// Output are JSON texts.
type resultWriterEntry struct {
	Name      string `json:"Name"`
	Status    string `json:"Status"`
	Input     string `json:"Input"`
	Output    string `json:"Output"`
	Error     string `json:"Error"`
	Cause     string `json:"Cause"`
	StartDate string `json:"StartDate"`
	StopDate  string `json:"StopDate"`
}

// OperationsResult is one row of results.csv.
type OperationsResult struct {
	AccountID, AccountName, Region string
	Status                         string // ok or failed
	Error                          string
	DurationMS                     int64
	Output                         string // the function's output (JSON), or where it is
}

// operationsItemOutcome is what the fan-out Map's item processor returns
// for one item: the item, and the function's result or its error.
type operationsItemOutcome struct {
	Item   OperationsItem   `json:"item"`
	Status string           `json:"status"`
	Result json.RawMessage  `json:"result"`
	Error  *json.RawMessage `json:"error"`
}

// OperationsResults reads the ResultWriter manifest and every result file
// (SUCCEEDED, FAILED, PENDING) from the store's bucket, writes
// <run>/exec/results.csv (account, name, region, status, error,
// duration_ms, output) sorted by account and region, and notifies.
func OperationsResults(ctx context.Context, env *Env, in OperationsResultsInput) (OperationsResultsOutput, error) {
	env.init()
	out := OperationsResultsOutput{Run: in.Run, Key: store.ExecKey(in.Run, OperationsResultsFile)}
	if _, _, err := store.ParseRunPrefix(in.Run); err != nil {
		return out, fmt.Errorf("operations results: run: %w", err)
	}
	s3, ok := env.Store.(*store.S3)
	if !ok {
		return out, errors.New("operations results: the store is not S3 (ResultWriter writes to S3)")
	}
	if in.ResultWriterDetails.Bucket != s3.Bucket() {
		return out, fmt.Errorf("operations results: ResultWriterDetails.Bucket %q is not the store's bucket %q", in.ResultWriterDetails.Bucket, s3.Bucket())
	}
	storeKey := func(objectKey string) (string, error) {
		if p := s3.Prefix(); p != "" {
			k, ok := strings.CutPrefix(objectKey, strings.TrimSuffix(p, "/")+"/")
			if !ok {
				return "", fmt.Errorf("operations results: %s is outside the store prefix %s", objectKey, p)
			}
			return k, nil
		}
		return objectKey, nil
	}
	mk, err := storeKey(in.ResultWriterDetails.Key)
	if err != nil {
		return out, err
	}
	var man resultWriterManifest
	if err := snapshot.ReadJSON(ctx, env.Store, mk, &man); err != nil {
		return out, fmt.Errorf("operations results: manifest: %w", err)
	}
	var rows []OperationsResult
	for _, status := range slices.Sorted(maps.Keys(man.ResultFiles)) {
		for _, f := range man.ResultFiles[status] {
			k, err := storeKey(f.Key)
			if err != nil {
				return out, err
			}
			var entries []resultWriterEntry
			if err := snapshot.ReadJSON(ctx, env.Store, k, &entries); err != nil {
				return out, fmt.Errorf("operations results: %s: %w", f.Key, err)
			}
			for _, e := range entries {
				rows = append(rows, operationsRow(e))
			}
		}
	}
	// Accounts whose regions could not be read had no item: a failed row
	// each, without a region.
	var regionErrs []OperationsRegionError
	if err := snapshot.ReadJSON(ctx, env.Store, store.ExecKey(in.Run, OperationsRegionErrorsFile), &regionErrs); err != nil && !errors.Is(err, store.ErrNotFound) {
		return out, fmt.Errorf("operations results: %w", err)
	}
	for _, e := range regionErrs {
		rows = append(rows, OperationsResult{AccountID: e.AccountID, AccountName: e.AccountName, Status: snapshot.StatusFailed, Error: "regions: " + e.Error})
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].AccountID != rows[j].AccountID {
			return rows[i].AccountID < rows[j].AccountID
		}
		return rows[i].Region < rows[j].Region
	})
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"account_id", "account_name", "region", "status", "error", "duration_ms", "output"})
	for _, r := range rows {
		_ = w.Write([]string{r.AccountID, r.AccountName, r.Region, r.Status, r.Error, fmt.Sprint(r.DurationMS), r.Output})
		if r.Status == snapshot.StatusOK {
			out.OK++
		} else {
			out.Failed++
		}
	}
	w.Flush()
	if err := env.put(ctx, out.Key, buf.Bytes()); err != nil {
		return out, err
	}
	out.Items = len(rows)

	ns, err := env.Notifiers()
	if err != nil {
		env.logger().Error("notification targets", "error", err.Error())
		return out, nil
	}
	if len(ns) > 0 {
		s := notify.Summary{Run: in.Run, Store: env.Store.String(), Finished: env.now(), OK: out.OK, Failed: out.Failed,
			Title:       fmt.Sprintf("orgiam operations %s: %d ok, %d failed", in.Run, out.OK, out.Failed),
			ReportLinks: []string{env.Store.String() + "/" + out.Key}}
		for _, r := range rows {
			if r.Status != snapshot.StatusOK {
				s.FailedAccounts = append(s.FailedAccounts, notify.AccountError{ID: r.AccountID + "/" + r.Region, Name: r.AccountName, Error: r.Error})
			}
		}
		notify.Send(ctx, env.logger(), ns, s)
		out.Sent = true
	}
	return out, nil
}

// operationsRow reads one child execution: a SUCCEEDED one carries the
// processor's outcome (ok, or the function's error it caught); any other
// (FAILED, TIMED_OUT, ABORTED, PENDING) failed as a whole, its item in Input.
func operationsRow(e resultWriterEntry) OperationsResult {
	var r OperationsResult
	if start, err := time.Parse(time.RFC3339Nano, e.StartDate); err == nil {
		if stop, err := time.Parse(time.RFC3339Nano, e.StopDate); err == nil {
			r.DurationMS = stop.Sub(start).Milliseconds()
		}
	}
	// The child's input is the Map's ItemSelector: {item, Run, Params}.
	var input struct {
		Item OperationsItem `json:"item"`
	}
	_ = json.Unmarshal([]byte(e.Input), &input)
	item := input.Item
	var o operationsItemOutcome
	if e.Status == "SUCCEEDED" && json.Unmarshal([]byte(e.Output), &o) == nil && o.Status != "" {
		if o.Item.AccountID != "" {
			item = o.Item
		}
		r.Status = o.Status
		if o.Error != nil {
			r.Error = errorText(*o.Error)
		}
		if len(o.Result) > 0 && string(o.Result) != "null" {
			r.Output = string(o.Result)
		}
	} else {
		r.Status = snapshot.StatusFailed
		r.Error = strings.TrimSpace(strings.ToLower(e.Status) + ": " + strings.TrimSpace(e.Error+" "+e.Cause))
	}
	r.AccountID, r.AccountName, r.Region = item.AccountID, item.AccountName, item.Region
	if r.Status != snapshot.StatusOK && r.Status != snapshot.StatusFailed {
		r.Status = snapshot.StatusFailed
	}
	return r
}

// errorText is a caught Step Functions error ({"Error","Cause"}) as one line.
func errorText(raw json.RawMessage) string {
	var e struct{ Error, Cause string }
	if json.Unmarshal(raw, &e) == nil && (e.Error != "" || e.Cause != "") {
		return strings.TrimSpace(e.Error + ": " + e.Cause)
	}
	return string(raw)
}

// enabledRegions reads the regions enabled in an account the way the scan
// does: with the account's collect role, through collect's
// RegionsCollector (ec2:DescribeRegions, kept to the account's partition).
func (e *Env) enabledRegions(ctx context.Context, id string) ([]string, error) {
	cfg := e.AccountConfig(id)
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, &collect.OpError{Account: id, Operation: "sts:AssumeRole " + e.CollectRoleARN(id), Err: err}
	}
	item := &collect.Item{Account: id, Partition: e.Auth.Identity.Partition, Clients: e.clients(cfg)}
	if err := (collect.RegionsCollector{}).Collect(ctx, item, nil); err != nil {
		return nil, err
	}
	enabled, ok := item.EnabledRegions()
	if !ok {
		// The collector recorded why as the item's warning.
		if ws := item.CollectorWarnings(); len(ws) > 0 {
			return nil, errors.New(ws[0].Message)
		}
		return nil, fmt.Errorf("account %s: enabled regions unknown", id)
	}
	return enabled, nil
}
