// The desk's audio in the browser, shared by the agent's desk and the
// supervisors' listening in: one AudioContext (made on a click, so that the
// page may start audio), the remote audio's level through an AnalyserNode,
// and the <audio> element that plays the remote stream.
import { useCallback, useEffect, useRef, useState, type RefObject } from "react";
import { rmsLevel } from "./desk";

/**
 * A getter for one AudioContext, made on first use and resumed on each (call
 * it in a click handler); closed on unmount. Null where there is none.
 */
export function useAudioContext(): () => AudioContext | null {
  const ctx = useRef<AudioContext | null>(null);
  const get = useCallback(() => {
    if (!ctx.current && typeof AudioContext !== "undefined") {
      try {
        ctx.current = new AudioContext();
      } catch {
        return null;
      }
    }
    void ctx.current?.resume().catch(() => undefined);
    return ctx.current;
  }, []);
  useEffect(
    () => () => {
      void ctx.current?.close().catch(() => undefined);
      ctx.current = null;
    },
    [],
  );
  return get;
}

/** The remote audio's RMS level, about 5 times a second, through an AnalyserNode. */
export function useRemoteLevel(stream: MediaStream | null, context: () => AudioContext | null): number {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    setLevel(0);
    const ctx = stream ? context() : null;
    if (!stream || !ctx) return;
    let source: MediaStreamAudioSourceNode;
    let analyser: AnalyserNode;
    try {
      source = ctx.createMediaStreamSource(stream);
      analyser = ctx.createAnalyser();
      analyser.fftSize = 1024;
      // Measured only: the <audio> element plays it.
      source.connect(analyser);
    } catch {
      return;
    }
    const samples = new Float32Array(analyser.fftSize);
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      setLevel(rmsLevel(samples));
    }, 200);
    return () => {
      clearInterval(timer);
      source.disconnect();
      setLevel(0);
    };
  }, [stream, context]);
  return level;
}

/** Plays stream in the <audio> element (or stops it when null). */
export function usePlayback(audio: RefObject<HTMLAudioElement | null>, stream: MediaStream | null) {
  useEffect(() => {
    const el = audio.current;
    if (!el) return;
    el.srcObject = stream;
    // Autoplay may be refused; the click that started it normally allows it.
    if (stream) Promise.resolve().then(() => el.play()).catch(() => undefined);
    return () => {
      el.srcObject = null;
    };
  }, [audio, stream]);
}
