import { Simulator } from '../demo/simulator.js';
import type { RunningServe } from './serve.js';

/** The demo's simulated network, pointed at a running serve's NetFlow, IPFIX and sFlow listeners (not started). */
export function simulatorFor(serve: RunningServe, rate: number): Simulator {
  const port = (name: string): number => {
    const l = serve.listeners.find((x) => x.name === name);
    if (!l) throw new Error(`serve has no ${name} listener for the demo network`);
    return l.port;
  };
  return new Simulator({
    netflowPort: port('netflow'),
    ipfixPort: port('ipfix'),
    sflowPort: port('sflow'),
    rate,
  });
}
