package notebook

import (
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"os"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/comms"
	"github.com/janpfeifer/gonb/gonbui/dom"
	"github.com/janpfeifer/gonb/gonbui/widgets"

	"github.com/advmlgo/advml/pkg/attack"
	"github.com/advmlgo/advml/pkg/classifier"
	"github.com/advmlgo/advml/pkg/experiment"
	"github.com/advmlgo/advml/pkg/mnist"
	"github.com/advmlgo/advml/pkg/plots"
)

// The explorer's choices.
var (
	exploreAttacks = []string{"targeted ascent (the article's)", "PGD L∞, targeted", "FGSM, targeted"}
	// exploreSteps is the ε slider's range: ε = position / 100.
	exploreSteps = 30
)

// ExploreIdle is how long the explorer waits for a widget to move before
// it stops on its own, ending the cell.
var ExploreIdle = 15 * time.Minute

// BrowserWait is how long Explore waits for a browser to answer before it
// decides that the notebook runs headless. A busy machine can take tens of
// seconds to answer (10 s proved too short while other jobs ran).
var BrowserWait = 45 * time.Second

// BrowserWaitEnv names the environment variable that sets BrowserWait for
// a kernel, as a Go duration ("2m"): the browser test raises it, since a
// machine loaded by other jobs took over 45 s to answer.
const BrowserWaitEnv = "ADVML_BROWSER_WAIT"

// browserWait is BrowserWait, or the duration BrowserWaitEnv gives.
func browserWait() (time.Duration, error) {
	v := os.Getenv(BrowserWaitEnv)
	if v == "" {
		return BrowserWait, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("notebook: %s=%q is not a positive duration: use one like \"90s\" or \"2m\", or unset it for %v", BrowserWaitEnv, v, BrowserWait)
	}
	return d, nil
}

// HeadlessEnv names the environment variable that tells Explore, when set to
// anything, that no browser runs the notebook, so that it shows its static
// figure at once instead of waiting BrowserWait. make notebooks and the
// notebook tests set it for their kernel.
const HeadlessEnv = "ADVML_HEADLESS"

// explorer computes what the live view shows.
type explorer struct {
	m      classifier.Differentiable
	images []float32 // The test digits to choose from.
	labels []int
	ascent map[[2]int][]float32 // (digit, target) → the ascent's unbounded adversarial.
}

// view is one state of the widgets.
type view struct {
	digit, target, attack int
	eps                   float64
}

// Explore shows a live view of the model's boundaries in a GoNB notebook:
// choose a test digit, a target class and an attack, move the ε slider, and
// the adversarial image, its caption ("prediction: 4; confidence: 0.32" as
// in the article), the perturbation and the ten probabilities redraw in
// place. The cell keeps running while the widgets are in use; the Stop
// button, or ExploreIdle without a change, ends it. When no browser answers
// (the notebook runs headless, as make notebooks runs it), it shows the
// first view as a static figure and returns.
func (s *Session) Explore() {
	test := s.Test()
	const choices = 10
	e := &explorer{m: s.Model(), images: test.Images[:choices*mnist.Pixels], labels: test.Labels[:choices], ascent: map[[2]int][]float32{}}
	first := view{digit: 0, target: (e.labels[0] + 1) % 10, attack: 0, eps: 0.3}
	wait, err := browserWait()
	Check(err)
	if headless := os.Getenv(HeadlessEnv) != ""; headless || !frontEndAnswers(wait) {
		if headless {
			fmt.Printf("(%s is set: the explorer's first view, as a static figure)\n", HeadlessEnv)
		} else {
			fmt.Println("(no browser answered: the explorer's first view, as a static figure)")
		}
		caption, img, err := e.render(first)
		Check(err)
		fmt.Println(caption)
		Show(img, nil)
		return
	}
	var digitNames []string
	for i, l := range e.labels {
		digitNames = append(digitNames, fmt.Sprintf("test digit %d (a %d)", i, l))
	}
	controls, output := "advml-explore-"+gonbui.UniqueId(), "advml-explore-out-"+gonbui.UniqueId()
	gonbui.DisplayHtml(fmt.Sprintf(`<div id=%q style="display: flex; gap: 1em; align-items: center"></div>`, controls))
	gonbui.UpdateHTML(output, "")
	label := func(text string) { dom.Append(controls, "<span>"+html.EscapeString(text)+"</span>") }
	label("digit")
	digit := widgets.Select(digitNames).AppendTo(controls).Done()
	label("target")
	target := widgets.Select(classNames()).SetDefault(first.target).AppendTo(controls).Done()
	label("attack")
	which := widgets.Select(exploreAttacks).AppendTo(controls).Done()
	label("ε × 100")
	slider := widgets.Slider(0, exploreSteps, int(first.eps*100)).AppendTo(controls).Done()
	stop := widgets.Button("Stop").AppendTo(controls).Done()
	digitC, targetC, whichC, sliderC, stopC := digit.Listen().LatestOnly(), target.Listen().LatestOnly(), which.Listen().LatestOnly(),
		slider.Listen().LatestOnly(), stop.Listen()
	defer func() { digitC.Close(); targetC.Close(); whichC.Close(); sliderC.Close(); stopC.Close() }()
	current := first
	for {
		caption, img, err := e.render(current)
		if err != nil {
			gonbui.UpdateHTML(output, "<pre>error: "+html.EscapeString(err.Error())+"</pre>")
		} else {
			png, err := plots.EncodePNG(img)
			Check(err)
			gonbui.UpdateHTML(output, fmt.Sprintf(`<div class="advml-caption">%s</div><img src="data:image/png;base64,%s"/>`,
				html.EscapeString(caption), base64.StdEncoding.EncodeToString(png)))
		}
		select {
		case current.digit = <-digitC.C:
		case current.target = <-targetC.C:
		case current.attack = <-whichC.C:
		case v := <-sliderC.C:
			current.eps = float64(v) / 100
		case <-stopC.C:
			gonbui.UpdateHTML(output, "<i>explorer stopped</i>")
			return
		case <-time.After(ExploreIdle):
			gonbui.UpdateHTML(output, fmt.Sprintf("<i>explorer stopped after %v without a change</i>", ExploreIdle))
			return
		}
	}
}

// frontEndAnswers reports whether a browser runs the notebook: it creates a
// synced variable in the front-end, which sends its value back at once, and
// waits up to timeout for it. The probe is sent again every probeEvery: on
// the first Listen, GoNB's kernel installs its comms script in the page and
// gives it 3 s to connect (installing it anew later when it did not), so on
// a loaded machine a probe sent once can find no connection and be lost (a
// make test run beside a long evaluation waited 600 s for one).
func frontEndAnswers(timeout time.Duration) bool {
	if !gonbui.IsNotebook {
		return false
	}
	address := "/advml/probe/" + gonbui.UniqueId()
	answers := comms.Listen[int](address)
	defer answers.Close()
	deadline := time.After(timeout)
	for {
		dom.TransientJavascript(fmt.Sprintf(`globalThis?.gonb_comm?.newSyncedVariable(%q, 1)?.set(1);`, address))
		select {
		case <-answers.C:
			return true
		case <-deadline:
			return false
		case <-time.After(probeEvery):
		}
	}
}

// probeEvery is how often frontEndAnswers sends its probe again.
const probeEvery = 2 * time.Second

func classNames() []string {
	names := make([]string, mnist.NumClasses)
	for i := range names {
		names[i] = fmt.Sprint(i)
	}
	return names
}

// render computes view v: the caption of the adversarial and the figure.
func (e *explorer) render(v view) (string, image.Image, error) {
	g := e.m.Geometry()
	original := g.Image(e.images, v.digit)
	if v.target == e.labels[v.digit] {
		return "", nil, fmt.Errorf("the target is the digit's own class: choose another")
	}
	crit := attack.TargetedMisclassification{Targets: []int{v.target}}
	adversarial := original
	if v.eps > 0 {
		switch v.attack {
		case 0: // The ascent runs unbounded once per digit and target; ε clips it.
			key := [2]int{v.digit, v.target}
			if e.ascent[key] == nil {
				res, err := attack.NewTargetedAscent().Run(e.m, original, crit)
				if err != nil {
					return "", nil, err
				}
				e.ascent[key] = res.Raw[0]
			}
			adversarial = attack.Linf.Clip(original, e.ascent[key], v.eps)
		default:
			var a attack.Attack = attack.NewPGD(attack.Linf)
			if v.attack == 2 {
				a = attack.NewFGSM()
			}
			res, err := a.Run(e.m, original, crit, v.eps)
			if err != nil {
				return "", nil, err
			}
			adversarial = res.Clipped[0]
		}
	}
	probs, err := e.m.Predict(adversarial)
	if err != nil {
		return "", nil, err
	}
	prediction := classifier.Argmax(probs[0])
	caption := experiment.Caption(prediction, probs[0][prediction])
	digit, err := plots.Digit(adversarial, fmt.Sprintf("%s (ε = %.2f)", caption, v.eps))
	if err != nil {
		return "", nil, err
	}
	adv := attack.Adversarial{Original: original, Image: adversarial}
	adv.L0, adv.L2, adv.Linf = int(attack.L0.Measure(original, adversarial)), attack.L2.Measure(original, adversarial), attack.Linf.Measure(original, adversarial)
	perturbation, err := experiment.Perturbation(&adv)
	if err != nil {
		return "", nil, err
	}
	values := make([]float64, len(probs[0]))
	for i, p := range probs[0] {
		values[i] = float64(p)
	}
	bars, err := plots.Bars(values, classNames(), v.target, fmt.Sprintf("probabilities (target %d in red)", v.target))
	if err != nil {
		return "", nil, err
	}
	return caption, plots.Row(digit, perturbation, bars), nil
}
