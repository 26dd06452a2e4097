package report

import (
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/advmlgo/advml/pkg/robustness"
)

func base64Encode(data []byte) string { return base64.StdEncoding.EncodeToString(data) }

// WriteHTML writes the report as one self-contained HTML page: its
// figures are PNG data URLs, its style inline, and it has no script.
func (r *Report) WriteHTML(w io.Writer) error {
	curve, err := robustness.Curve(r.Eval)
	if err != nil {
		return fmt.Errorf("report: the curve: %w", err)
	}
	curveURL, err := pngData(curve)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	type example struct {
		Original, Adversarial template.URL
		Caption               string
	}
	var gallery []example
	for _, ex := range r.Gallery {
		o, err := pngData(picture(r.Geometry, ex.Original))
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		a, err := pngData(picture(r.Geometry, ex.Adversarial))
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		gallery = append(gallery, example{
			Original: template.URL(o), Adversarial: template.URL(a),
			Caption: fmt.Sprintf("image %d: %s → %s (%.2f), %v distance %.3g at ε %g, by %s",
				ex.Image, r.Name(ex.Label), r.Name(ex.Predicted), ex.Confidence, r.Eval.Distance, ex.Distance, ex.Epsilon, ex.Attack),
		})
	}
	s := r.Summary()
	pct := func(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }
	type row struct{ Cells []string }
	var budgets []row
	for e, eps := range s.Epsilons {
		cells := []string{fmt.Sprint(eps), pct(s.CleanAccuracy), pct(s.RobustAccuracy[e])}
		for k := range s.Attacks {
			cells = append(cells, pct(s.AfterAttack[k][e]))
		}
		budgets = append(budgets, row{cells})
	}
	var classes []row
	for _, c := range s.PerClass {
		cells := []string{c.Name, fmt.Sprint(c.Images), pct(c.CleanAccuracy)}
		for _, a := range c.RobustAccuracy {
			cells = append(cells, pct(a))
		}
		classes = append(classes, row{cells})
	}
	var epsHeads []string
	for _, eps := range s.Epsilons {
		epsHeads = append(epsHeads, fmt.Sprintf("robust at ε %g", eps))
	}
	seconds := ""
	if s.Seconds > 0 {
		seconds = fmt.Sprintf("%.1f s", s.Seconds)
	}
	return page.Execute(w, map[string]any{
		"S": s, "Curve": template.URL(curveURL), "Gallery": gallery, "Budgets": budgets, "Classes": classes,
		"EpsHeads": epsHeads, "Seconds": seconds,
		"AttackList": strings.Join(s.Attacks, ", "),
	})
}

var page = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Robustness of {{.S.Model}}</title>
<style>
body { font-family: sans-serif; max-width: 980px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
.pass { color: #176b2c; } .fail { color: #b00020; font-weight: bold; } .skip { color: #666; }
.gallery { display: flex; flex-wrap: wrap; gap: 1em; }
.gallery figure { margin: 0; width: 200px; }
.gallery img { width: 84px; height: auto; image-rendering: pixelated; border: 1px solid #ccc; }
.gallery figcaption { font-size: 0.8em; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dt { font-weight: bold; }
</style>
</head>
<body>
<h1>Robustness report</h1>
<dl>
<dt>Model</dt><dd>{{.S.Model}}</dd>
<dt>Images</dt><dd>{{.S.Images}} from {{.S.Data}} ({{.S.Geometry}})</dd>
<dt>Norm</dt><dd>{{.S.Norm}}</dd>
<dt>Attacks</dt><dd>{{.AttackList}}, in this order, each on the images the ones before left classified right</dd>
{{if .Seconds}}<dt>Time</dt><dd>{{.Seconds}}</dd>{{end}}
</dl>

<h2 id="accuracy">Clean and robust accuracy</h2>
<p>An image counts as robust at a budget only if the model classifies it right and no attack fools it within the budget.</p>
<table id="budgets">
<tr><th>ε</th><th>clean</th><th>robust</th>{{range .S.Attacks}}<th>after {{.}}</th>{{end}}</tr>
{{range .Budgets}}<tr>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>

<h2 id="sanity">Sanity checks</h2>
<p>A failed check means the robust accuracy above should not be trusted as it stands.</p>
<ul id="sanity-checks">
{{range .S.Sanity}}<li class="{{if .Skipped}}skip{{else if .Passed}}pass{{else}}fail{{end}}">{{if .Skipped}}– {{.Name}}: skipped:{{else if .Passed}}✓ {{.Name}}:{{else}}✗ {{.Name}}:{{end}} {{.Detail}}</li>
{{end}}</ul>

<h2 id="curve">Robust accuracy against ε</h2>
<img id="curve-image" src="{{.Curve}}" alt="robust accuracy against the budget">

<h2 id="gallery">The smallest adversarials</h2>
{{if .Gallery}}<div class="gallery">
{{range .Gallery}}<figure><img src="{{.Original}}" alt="original"> <img src="{{.Adversarial}}" alt="adversarial"><figcaption>{{.Caption}}</figcaption></figure>
{{end}}</div>{{else}}<p>No attack fooled the model on any image at these budgets.</p>{{end}}

<h2 id="classes">Per class</h2>
<table id="per-class">
<tr><th>class</th><th>images</th><th>clean</th>{{range .EpsHeads}}<th>{{.}}</th>{{end}}</tr>
{{range .Classes}}<tr>{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<p><small>Written by advml (github.com/advmlgo/advml).</small></p>
</body>
</html>
`))
