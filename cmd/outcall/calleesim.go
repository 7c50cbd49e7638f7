package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/outcall/outcall/telephony"
	"github.com/outcall/outcall/telephony/calleesim"
	"github.com/spf13/cobra"
)

func init() {
	var (
		listen, personas, username, password, clockStart string
		seed                                             uint64
		verbose                                          bool
		mediaNice, mediaRT                               int
	)
	cmd := &cobra.Command{
		Use:   "callee-sim",
		Short: "Answer SIP calls on loopback like a crowd of people (the demo carrier and the load-test callee)",
		Long: `callee-sim is a SIP user agent server that answers outcall's calls from a
persona file: answer probability, ring time, busy and no-answer shares,
voicemail boxes and call-screening assistants, and what each person says
turn by turn (espeak-ng audio or DTMF) with pauses, barge-ins and hang-ups.
Alongside the audio it sends each line's text over the simulation channel
(SIP INFO), which outcall's simulation recogniser reads.

A persona can answer by the callee's local hour ("answer_by_hour":
{"19-21": 0.65, "0-5": 0.05}, hours not named use answer_probability),
in its "time_zone" or else the zone of the dialled number. --clock-start
runs the simulator's clock from another moment (at wall-clock speed), to
try an evening's answer rates at noon.

Without --personas it uses a built-in crowd. Dial any number through the
trunk it prints.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := calleesim.Config{ListenAddr: listen, Username: username, Password: password, Seed: seed}
			if clockStart != "" {
				at, err := time.Parse(time.RFC3339, clockStart)
				if err != nil {
					return fmt.Errorf("--clock-start %q: want an RFC 3339 time such as 2026-11-04T19:00:00+08:00", clockStart)
				}
				offset := time.Until(at)
				cfg.Now = func() time.Time { return time.Now().Add(offset) }
			}
			if personas != "" {
				ps, err := calleesim.LoadPersonas(personas)
				if err != nil {
					return err
				}
				cfg.Personas = ps
			}
			if mediaNice < 0 || mediaRT > 0 {
				clock := telephony.NewMediaClockWith(telephony.ClockOptions{Nice: mediaNice, RealtimePriority: mediaRT, DedicatedThreads: true})
				defer clock.Close()
				cfg.Clock = clock
			}
			if verbose {
				cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
			}
			sim, err := calleesim.Start(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer sim.Close()
			t := sim.Trunk()
			fmt.Fprintf(cmd.OutOrStdout(), "callee-sim listening on udp %s (trunk host %s port %d); Ctrl-C stops\n", sim.Addr(), t.Host, t.Port)
			<-cmd.Context().Done()
			fmt.Fprintf(cmd.OutOrStdout(), "callee-sim: stopping after %d calls\n", len(sim.Records()))
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:5080", "UDP address to answer on")
	cmd.Flags().StringVar(&personas, "personas", "", "persona file (JSON: {\"personas\": [...]}); empty uses the built-in crowd")
	cmd.Flags().StringVar(&username, "username", "", "require digest authentication with this username")
	cmd.Flags().StringVar(&password, "password", "", "password for --username")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "seed for persona choices (0: random)")
	cmd.Flags().StringVar(&clockStart, "clock-start", "", "start the simulator's clock at this RFC 3339 time (it then runs at wall-clock speed); empty: the wall clock")
	cmd.Flags().BoolVar(&verbose, "verbose", false, "log SIP activity")
	cmd.Flags().IntVar(&mediaNice, "media-nice", 0, "run the RTP pacing threads at this nice value (-20 to -1, needs root), as for a load test")
	cmd.Flags().IntVar(&mediaRT, "media-rt-priority", 0, "run the RTP pacing threads in the real-time class (SCHED_FIFO) at this priority (1-99, needs root), as for a load test")
	rootCmd.AddCommand(cmd)
}
