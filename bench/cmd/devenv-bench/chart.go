package main

import (
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// writeChart plots p50 (solid) and p99 (dashed) latency against concurrency
// for each scenario, both axes logarithmic.
func writeChart(path string, points []point) error {
	levels := map[int]bool{}
	for _, p := range points {
		if p.op == opDelete {
			levels[p.concurrency] = true
		}
	}
	if len(levels) < 2 {
		return nil // nothing to plot (an investigation run)
	}
	p := plot.New()
	p.Title.Text = "DeleteInstance latency against concurrency (solid p50, dashed p99)"
	p.X.Label.Text = "concurrent callers"
	p.Y.Label.Text = "latency (ms)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = true, true
	colors := map[string]color.Color{
		"S0": color.RGBA{0x55, 0x55, 0x55, 0xff},
		"S1": color.RGBA{0x1f, 0x77, 0xb4, 0xff},
		"S2": color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
		"S3": color.RGBA{0xd6, 0x27, 0x28, 0xff},
		"B1": color.RGBA{0x9e, 0xc7, 0xe8, 0xff},
		"B2": color.RGBA{0x98, 0xdf, 0x8a, 0xff},
	}
	names := map[string]string{}
	series := map[string][2]plotter.XYs{}
	var order []string
	for _, pt := range points {
		if pt.op != opDelete || colors[pt.scenario] == nil {
			continue // the observability variants are measured at one concurrency
		}
		s, seen := series[pt.scenario]
		if !seen {
			order = append(order, pt.scenario)
			names[pt.scenario] = pt.name
		}
		c := float64(pt.concurrency)
		s[0] = append(s[0], plotter.XY{X: c, Y: msf(pt.result.percentile(50))})
		s[1] = append(s[1], plotter.XY{X: c, Y: msf(pt.result.percentile(99))})
		series[pt.scenario] = s
	}
	for _, id := range order {
		s := series[id]
		for i, xy := range s {
			line, pts, err := plotter.NewLinePoints(xy)
			if err != nil {
				return err
			}
			line.Color, pts.Color = colors[id], colors[id]
			line.Width = vg.Points(1.5)
			pts.Shape = draw.CircleGlyph{}
			if i == 1 {
				line.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			}
			p.Add(line, pts)
			if i == 0 {
				p.Legend.Add(fmt.Sprintf("%s %s", id, names[id]), line)
			}
		}
	}
	return p.Save(9*vg.Inch, 5.5*vg.Inch, path)
}

func msf(d time.Duration) float64 { return max(float64(d)/float64(time.Millisecond), 0.01) }
