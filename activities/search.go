package activities

import (
	"context"
	"fmt"

	"github.com/lazarus-dr/lazarus/contract"
)

// SearchReindex (search.reindex, param product) rebuilds the site's derived
// search index from the restored product data (never copied from a clone);
// a product the site did not have at the restore point is skipped.
func (a *Activities) SearchReindex(ctx context.Context, in contract.StepInput) (contract.StepOutput, error) {
	to, product, err := a.targetAndProduct(in, true, "description", "search")
	if err != nil {
		return contract.StepOutput{}, err
	}
	if had, err := a.hadProduct(ctx, in, product); err != nil {
		return contract.StepOutput{}, err
	} else if !had {
		return contract.StepOutput{Message: fmt.Sprintf("site %s had no %s at the restore point: nothing to reindex", in.SiteID, product)}, nil
	}
	var n int
	err = a.call(ctx, func(ctx context.Context) (err error) {
		n, err = a.d.Search.Reindex(ctx, to, product)
		return err
	})
	if err != nil {
		return contract.StepOutput{}, fmt.Errorf("reindex %s of %s: %w", product, to, err)
	}
	return contract.StepOutput{Message: fmt.Sprintf("%s index of %s rebuilt: %d documents", product, to, n),
		Values: contract.Vars{contract.SearchDocsVar(product): fmt.Sprint(n)}}, nil
}
