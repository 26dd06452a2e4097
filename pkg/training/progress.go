package training

import (
	"fmt"
	"strings"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/train"
	"github.com/gomlx/gomlx/ui/commandline"
	"github.com/gomlx/gomlx/ui/notebooks"
	"github.com/janpfeifer/gonb/gonbui"
)

// progress shows how training goes: GoMLX's progress bar in a terminal; in
// a GoNB notebook, one HTML block updated in place, a few times a second,
// with the current epoch's bar and a table of the finished epochs. (GoMLX's
// bar writes one output per step into a notebook, thousands per epoch, all
// of which a saved notebook would keep.)
type progress interface {
	endEpoch(e EpochMetrics)
	end(h *History)
}

func attachProgress(loop *train.Loop, opts Options, stepsPerEpoch int) progress {
	if !opts.ProgressBar {
		return noProgress{}
	}
	if !notebooks.IsGoNB() {
		commandline.AttachProgressBar(loop)
		return noProgress{}
	}
	p := &htmlProgress{id: "training-" + gonbui.UniqueId(), maxEpochs: opts.MaxEpochs, steps: stepsPerEpoch, epoch: 1}
	loop.OnStep("advml-progress", 0, p.onStep)
	return p
}

type noProgress struct{}

func (noProgress) endEpoch(EpochMetrics) {}
func (noProgress) end(*History)          {}

// htmlRefresh is the shortest time between two updates of the notebook display.
const htmlRefresh = 250 * time.Millisecond

type htmlProgress struct {
	id           string
	maxEpochs    int
	steps, epoch int
	epochStart   int // Loop step at which the current epoch started.
	last         time.Time
	finished     []EpochMetrics
	status       string
}

func (p *htmlProgress) onStep(loop *train.Loop, metrics []*tensors.Tensor) error {
	step := loop.LoopStep - p.epochStart + 1
	if time.Since(p.last) < htmlRefresh && step != p.steps {
		return nil
	}
	p.last = time.Now()
	p.status = fmt.Sprintf("Epoch %d/%d <progress value=%d max=%d style=\"width: 20em; vertical-align: middle\"></progress> %d/%d steps · loss %.4f · accuracy %.4f",
		p.epoch, p.maxEpochs, step, p.steps, step, p.steps, scalar(metrics[metricMeanLoss]), scalar(metrics[metricMeanAcc]))
	p.render()
	if step == p.steps {
		p.epochStart = loop.LoopStep + 1
	}
	return nil
}

func (p *htmlProgress) endEpoch(e EpochMetrics) {
	p.finished = append(p.finished, e)
	p.epoch = e.Epoch + 1
	p.status = fmt.Sprintf("Epoch %d/%d done: val_loss %.4f · val_accuracy %.4f", e.Epoch, p.maxEpochs, e.ValLoss, e.ValAccuracy)
	if e.Unvalidated {
		p.status = fmt.Sprintf("Epoch %d/%d done: loss %.4f · accuracy %.4f (no validation)", e.Epoch, p.maxEpochs, e.Loss, e.Accuracy)
	}
	p.render()
}

func (p *htmlProgress) end(h *History) {
	if h.EarlyStopped {
		p.status = fmt.Sprintf("Early stopping: the validation loss did not improve for %d epoch(s) in a row; the model holds the weights of epoch %d.",
			len(h.Epochs)-h.BestEpoch, h.WeightsEpoch)
	} else if len(h.Epochs) > 0 && h.Epochs[0].Unvalidated {
		p.status = fmt.Sprintf("Trained %d epochs without validation; the model holds the weights of epoch %d.", len(h.Epochs), h.WeightsEpoch)
	} else {
		p.status = fmt.Sprintf("Trained %d epochs; the model holds the weights of epoch %d (the lowest validation loss was at epoch %d).",
			len(h.Epochs), h.WeightsEpoch, h.BestEpoch)
	}
	p.render()
}

func (p *htmlProgress) render() {
	var b strings.Builder
	b.WriteString(`<div style="font-family: var(--jp-code-font-family, monospace); font-size: 0.9em">`)
	b.WriteString("<div>" + p.status + "</div>")
	if len(p.finished) > 0 {
		b.WriteString(`<table style="margin: 0.3em 0"><tr><th>epoch</th><th>loss</th><th>accuracy</th><th>val_loss</th><th>val_accuracy</th><th>seconds</th></tr>`)
		for _, e := range p.finished {
			val := fmt.Sprintf("<td>%.4f</td><td>%.4f</td>", e.ValLoss, e.ValAccuracy)
			if e.Unvalidated {
				val = "<td>–</td><td>–</td>"
			}
			fmt.Fprintf(&b, "<tr><td>%d</td><td>%.4f</td><td>%.4f</td>%s<td>%.1f</td></tr>",
				e.Epoch, e.Loss, e.Accuracy, val, e.Seconds)
		}
		b.WriteString("</table>")
	}
	b.WriteString("</div>")
	gonbui.UpdateHTML(p.id, b.String())
}
