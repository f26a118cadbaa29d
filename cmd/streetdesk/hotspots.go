package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/columns"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// cmdHotspots prints the recurring problems (热点) among the local orders the
// user can see: a lead's team, a caseworker's own and their street office's.
func (m *Main) cmdHotspots(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("hotspots", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON output")
	days := fs.Int("days", int(streetdesk.DefaultHotspotWindow/(24*time.Hour)), "the time window, days up to now")
	radius := fs.Float64("radius", streetdesk.DefaultHotspotRadius, "the distance within which orders are similar, metres")
	minOrders := fs.Int("min", streetdesk.DefaultHotspotMinOrders, "orders a hotspot needs at least")
	level := fs.Int("level", int(streetdesk.CategoryLevel3), "the duty-list level orders share: 3 or 2")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return streetdesk.Errorf(streetdesk.EINVALID, "hotspots takes no arguments (got %q)", pos[0])
	}
	q := streetdesk.DefaultHotspotQuery()
	q.Window = time.Duration(*days) * 24 * time.Hour
	q.RadiusM, q.MinOrders, q.Level, q.Points = *radius, *minOrders, streetdesk.CategoryLevel(*level), false
	// A bad setting is an error before anything is opened.
	if err := q.Options(m.Now()).Validate(); err != nil {
		return err
	}
	s, err := m.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	r, err := s.desk.Hotspots(ctx, q)
	if err != nil {
		return err
	}
	// China time to the second, as every other output.
	r.From, r.To = r.From.In(streetdesk.ChinaTZ).Truncate(time.Second), r.To.In(streetdesk.ChinaTZ).Truncate(time.Second)
	if *asJSON {
		return printJSON(m.Stdout, r)
	}
	return printHotspots(m, r, *days)
}

func printHotspots(m *Main, r *streetdesk.HotspotReport, days int) error {
	in := r.Input
	fmt.Fprintf(m.Stdout, "hotspots: %d days to %s, within %g m, at least %d orders from 2 citizens, category level %d\n",
		days, r.To.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04"), r.RadiusM, r.MinOrders, r.Level)
	if len(r.Hotspots) > 0 {
		tw := columns.NewWriter(m.Stdout)
		fmt.Fprintln(tw, "\n#\torders\ttrend\tspan\tradius\treopened\tcitizens\tcategory · place")
		for i, h := range r.Hotspots {
			place := strings.Join(nonEmpty(h.Community, h.Address), " · ")
			span := h.First.In(streetdesk.ChinaTZ).Format("01-02") + " – " + h.Last.In(streetdesk.ChinaTZ).Format("01-02")
			fmt.Fprintf(tw, "%d\t%d\t%s (%+d)\t%s\t%.0f m\t%d/%d\t%d\t%s · %s\n", i+1, h.Count, translation.For(translation.English).Name(h.Trend), h.Delta(),
				span, h.RadiusM, h.Reopened.Num, h.Reopened.Den, h.Citizens, h.Category.Path(), place)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for i, h := range r.Hotspots {
			ids := make([]string, len(h.Orders))
			for k, o := range h.Orders {
				ids[k] = o.ID
			}
			fmt.Fprintf(m.Stdout, "%d: %s\n", i+1, strings.Join(ids, " "))
		}
	} else {
		fmt.Fprintln(m.Stdout, "no hotspots")
	}
	fmt.Fprintf(m.Stdout, "\n%d orders in the window, %d analysed (%d by community and address, without coordinates)", in.InWindow, in.Clustered, in.ByAddress)
	if n := in.LeftOut(); n > 0 {
		var why []string
		for _, c := range []struct {
			n    int
			what string
		}{{in.NoPlace, "no place"}, {in.NoCategory, "no category"}, {in.UnknownCategory, "category not in the duty list"}, {in.Withdrawn, "cancelled or returned"}, {in.Events, "event orders"}} {
			if c.n > 0 {
				why = append(why, fmt.Sprintf("%d %s", c.n, c.what))
			}
		}
		fmt.Fprintf(m.Stdout, "; left out: %s", strings.Join(why, ", "))
	}
	fmt.Fprintln(m.Stdout)
	if bad := in.InvalidCoordinates + in.SwappedCoordinates + in.OutsideRegion; bad > 0 {
		fmt.Fprintf(m.Stdout, "unusable coordinates: %d (%d swapped, %d outside China, %d invalid)\n", bad, in.SwappedCoordinates, in.OutsideRegion, in.InvalidCoordinates)
	}
	return nil
}
