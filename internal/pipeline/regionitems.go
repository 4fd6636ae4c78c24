package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// RegionItemsInput names a run whose account items have run.
type RegionItemsInput struct {
	Run string `json:"run"`
}

// RegionItemsOutput locates the item list: the items themselves stay in the
// store (a Step Functions payload holds 256 KB).
type RegionItemsOutput struct {
	Run      string `json:"run"`
	Count    int    `json:"count"`
	Accounts int    `json:"accounts"` // accounts with at least one item
	Key      string `json:"key"`
	// ItemsBucket and ItemsKey locate the list in S3 for the regional
	// Distributed Map's ItemReader (empty on a file store).
	ItemsBucket string `json:"itemsBucket,omitempty"`
	ItemsKey    string `json:"itemsKey,omitempty"`
}

// RegionItems writes the run's account × region items still to scan
// (store.RegionItemsKey, a JSON array of ScanRegionInput) and returns where
// they are. An item is a region of an account's plan (its account.json)
// whose region file is missing or failed, exactly the regions that make the
// account partial in the manifest (snapshot.Reader.Result) and that a
// resumed local run scans again. An account that was not scanned or failed
// has no items: its plan is empty. The list is written also when empty, so
// that the Map over it runs no item rather than failing.
func RegionItems(ctx context.Context, env *Env, in RegionItemsInput) (RegionItemsOutput, error) {
	env.init()
	out := RegionItemsOutput{Run: in.Run, Key: store.RegionItemsKey(in.Run)}
	r := snapshot.Reader{Store: env.Store, Run: in.Run}
	accounts, err := r.Accounts(ctx)
	if err != nil {
		return out, fmt.Errorf("run %s: %w", in.Run, err)
	}
	per := make([][]ScanRegionInput, len(accounts))
	if err := eachAccount(len(accounts), func(i int) (err error) {
		per[i], err = accountRegionItems(ctx, r, in.Run, accounts[i].ID)
		return err
	}); err != nil {
		return out, err
	}
	items := []ScanRegionInput{}
	for i := range accounts {
		if len(per[i]) > 0 {
			out.Accounts++
		}
		items = append(items, per[i]...)
	}
	if err := env.putJSON(ctx, out.Key, items); err != nil {
		return out, err
	}
	out.Count = len(items)
	if s3, ok := env.Store.(*store.S3); ok {
		out.ItemsBucket = s3.Bucket()
		if out.ItemsKey, err = s3.ObjectKey(out.Key); err != nil {
			return out, err
		}
	}
	return out, nil
}

// accountRegionItems are one account's missing or failed region items.
func accountRegionItems(ctx context.Context, r snapshot.Reader, run, id string) ([]ScanRegionInput, error) {
	info, err := r.AccountInfo(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	e, err := r.Error(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	if e != nil {
		return nil, nil
	}
	o, err := r.Regions(ctx, info)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	var items []ScanRegionInput
	for _, list := range [][]string{o.Missing, o.Failed} {
		for _, region := range list {
			items = append(items, ScanRegionInput{Run: run, AccountID: id, Region: region})
		}
	}
	return items, nil
}
