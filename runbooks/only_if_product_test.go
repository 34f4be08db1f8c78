package runbooks

import (
	"encoding/json"
	"strings"
	"testing"
)

// only_if_product is parsed, {{item}} expanded in it per step as in params,
// and compiled into PlanStep.OnlyIfProduct.
func TestCompileOnlyIfProduct(t *testing.T) {
	p := compileFile(t, "testdata/valid/only_if_product.yaml")
	want := map[string]string{
		"clone": "", "undelete": "",
		"restore-db-jira": "jira", "restore-db-confluence": "confluence", "restore-db-opsgenie": "opsgenie",
		"reindex-confluence": "confluence", "reindex-opsgenie": "opsgenie",
		"jira-flags": "jira", // from a merge key
		"validate":   "", "customer": "",
	}
	if len(p.Steps) != len(want) {
		t.Fatalf("steps %v, want %d", ids(p), len(want))
	}
	for id, w := range want {
		if got := mustStep(t, p, id).OnlyIfProduct; got != w {
			t.Errorf("step %s: only_if_product %q, want %q", id, got, w)
		}
	}
	// The field is in the plan's JSON (a Temporal payload) only when set.
	raw, err := json.Marshal(mustStep(t, p, "restore-db-jira"))
	if err != nil || !strings.Contains(string(raw), `"only_if_product":"jira"`) {
		t.Errorf("restore-db-jira as JSON: %s %v", raw, err)
	}
	raw, _ = json.Marshal(mustStep(t, p, "validate"))
	if strings.Contains(string(raw), "only_if_product") {
		t.Errorf("validate as JSON has only_if_product: %s", raw)
	}
	if err := p.Check(); err != nil {
		t.Errorf("plan fails Check: %v", err)
	}
}

// Without a list named products, any product name is accepted.
func TestOnlyIfProductWithoutProductsList(t *testing.T) {
	p := compileString(t, `name: no-list
steps:
  - id: "media-{{item}}"
    for_each: [jira, bamboo]
    action: media.undelete
    only_if_product: "{{item}}"
`)
	if a, b := mustStep(t, p, "media-jira"), mustStep(t, p, "media-bamboo"); a.OnlyIfProduct != "jira" || b.OnlyIfProduct != "bamboo" {
		t.Errorf("only_if_product %q and %q", a.OnlyIfProduct, b.OnlyIfProduct)
	}
}

// Each problem of only_if_product is reported with its position, all at
// once (the full list is testdata/invalid/only_if_product.yaml).
func TestOnlyIfProductProblems(t *testing.T) {
	src := `name: bad
lists:
  products: [jira, confluence]
steps:
  - id: clone
    action: db.clone
    params: {cluster: products}
    only_if_product: jira
  - id: undelete
    action: catalog.undelete
    needs: [clone]
    only_if_product: ""
  - id: "restore-db-{{item}}"
    for_each: [jria]
    action: db.restore_tenant
    needs: [undelete]
    params: {product: "{{item}}"}
    only_if_product: "{{item}}"
  - id: customer
    action: gate.customer_validation
    needs: [restore-db]
    gate: {deadline: 1h}
    only_if_product: jira
`
	_, err := Compile("bad.yaml", []byte(src))
	ps := Problems(err)
	want := []struct {
		line, col int
		parts     []string
	}{
		{8, 22, []string{`step "clone"`, `only_if_product "jira"`, "site-scoped", "batch-scoped"}},
		{12, 22, []string{`step "undelete"`, "only_if_product is empty"}},
		{18, 22, []string{`step "restore-db-jria"`, `only_if_product "jria"`, "lists.products", `did you mean "jira"?`, "known: jira, confluence"}},
		{23, 22, []string{`step "customer"`, `only_if_product "jira"`, "gate"}},
	}
	if len(ps) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(ps), len(want), err)
	}
	for i, w := range want {
		p := ps[i]
		if p.Line != w.line || p.Column != w.col {
			t.Errorf("problem %d at %d:%d, want %d:%d: %s", i, p.Line, p.Column, w.line, w.col, p.Message)
		}
		for _, part := range w.parts {
			if !strings.Contains(p.Message, part) {
				t.Errorf("problem %d %q lacks %q", i, p.Message, part)
			}
		}
	}
}

// restore2's 20 per-product steps (restore-db, media, reindex and validate
// of each of the 5 products) run only for the products the site had; no
// other step is conditional.
func TestRestore2OnlyIfProduct(t *testing.T) {
	p, err := Default("restore2")
	if err != nil {
		t.Fatal(err)
	}
	families := map[string]bool{"restore-db": true, "media": true, "reindex": true, "validate": true}
	n := 0
	for _, s := range p.Steps {
		product, perProduct := "", false
		for f := range families {
			if rest, ok := strings.CutPrefix(s.ID, f+"-"); ok && rest == s.Params[ParamProduct] {
				product, perProduct = rest, true
			}
		}
		if !perProduct {
			if s.OnlyIfProduct != "" {
				t.Errorf("step %s: only_if_product %q on a step that is not per product", s.ID, s.OnlyIfProduct)
			}
			continue
		}
		n++
		if s.OnlyIfProduct != product || product == "" {
			t.Errorf("step %s: only_if_product %q, want its product %q", s.ID, s.OnlyIfProduct, product)
		}
	}
	if n != 20 {
		t.Errorf("%d per-product steps, want 20 (4 families of 5 products)", n)
	}
	// restore1 stays as it was: nothing conditional.
	r1, err := Default("restore1")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r1.Steps {
		if s.OnlyIfProduct != "" {
			t.Errorf("restore1 step %s: only_if_product %q", s.ID, s.OnlyIfProduct)
		}
	}
}

// The renderings mark conditional steps.
func TestRenderOnlyIfProduct(t *testing.T) {
	p := compileFile(t, "testdata/valid/only_if_product.yaml")
	m := p.Mermaid()
	if !strings.Contains(m, "restore-db-jira<br/><i>db.restore_tenant</i> · 30s<br/>only if jira") ||
		!strings.Contains(m, "classDef conditional") || !strings.Contains(m, "class s2,s3,s4,s5,s6,s7 conditional\n") {
		t.Errorf("mermaid does not mark the conditional steps:\n%s", m)
	}
	d := p.DOT()
	if !strings.Contains(d, `"reindex-opsgenie" [label="reindex-opsgenie\nsearch.reindex · 30s\nonly if opsgenie", style=dashed`) {
		t.Errorf("dot does not mark the conditional steps:\n%s", d)
	}
	if strings.Contains(d, `"validate" [label="validate\nvalidate.automated · 30s\n`) {
		t.Errorf("dot marks an unconditional step:\n%s", d)
	}
}

// Plan.Check refuses only_if_product where the language does.
func TestPlanCheckOnlyIfProduct(t *testing.T) {
	p := compileFile(t, "testdata/valid/only_if_product.yaml")
	bad := *p
	bad.Steps = append([]PlanStep(nil), p.Steps...)
	idx := map[string]int{}
	for i, s := range bad.Steps {
		idx[s.ID] = i
	}
	bad.Steps[idx["clone"]].OnlyIfProduct = "jira"
	bad.Steps[idx["customer"]].OnlyIfProduct = "jira"
	bad.Steps[idx["validate"]].OnlyIfProduct = "jira,confluence"
	err := bad.Check()
	if err == nil {
		t.Fatal("Check passes only_if_product on a batch step, a gate and a list")
	}
	for _, w := range []string{`step "clone": only_if_product on a batch step`, `step "customer": only_if_product on a gate`, `step "validate": only_if_product "jira,confluence" is not a product name`} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("Check error lacks %q: %v", w, err)
		}
	}
	if p.Steps[idx["clone"]].OnlyIfProduct != "" {
		t.Error("test changed the compiled plan")
	}
}
