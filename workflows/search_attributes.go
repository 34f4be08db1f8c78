package workflows

import "go.temporal.io/sdk/temporal"

// Typed search attribute keys (see SearchAttributeTypes).
var (
	SearchKeyBatchID        = temporal.NewSearchAttributeKeyKeyword(SearchAttrBatchID)
	SearchKeySiteID         = temporal.NewSearchAttributeKeyKeyword(SearchAttrSiteID)
	SearchKeyRunbook        = temporal.NewSearchAttributeKeyKeyword(SearchAttrRunbook)
	SearchKeyStage          = temporal.NewSearchAttributeKeyKeyword(SearchAttrStage)
	SearchKeyStatus         = temporal.NewSearchAttributeKeyKeyword(SearchAttrStatus)
	SearchKeyNeedsAttention = temporal.NewSearchAttributeKeyBool(SearchAttrNeedsAttention)
	SearchKeyDrillID        = temporal.NewSearchAttributeKeyKeyword(SearchAttrDrillID)
	SearchKeyDrillResult    = temporal.NewSearchAttributeKeyKeyword(SearchAttrDrillResult)
)
