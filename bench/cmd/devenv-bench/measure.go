package main

import "time"

// usage is what a server process spent during a measurement.
type usage struct {
	cpu     time.Duration
	peakRSS int64
}

// meter records servers' CPU time and peak RSS across a measurement.
type meter struct {
	servers []*server
	before  map[*server]time.Duration
	usage   map[*server]usage
}

func measure(servers []*server) *meter {
	return &meter{servers: servers, before: map[*server]time.Duration{}, usage: map[*server]usage{}}
}

// hook is called when the measured part starts and ends.
func (m *meter) hook(start bool) {
	for _, s := range m.servers {
		if start {
			s.resetPeakRSS()
			m.before[s] = s.cpuTime()
			continue
		}
		m.usage[s] = usage{cpu: s.cpuTime() - m.before[s], peakRSS: s.peakRSS()}
	}
}
