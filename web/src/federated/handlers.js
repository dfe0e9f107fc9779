// The worker's federated operations (MSG.FEDERATE {id, op, ...}; reply MSG.FEDERATED {id, result}): one
// participant (client.js) per worker. worker.js hands these messages over at once, outside its queue: a
// round waits on other clients for as long as it takes, and status() must answer meanwhile; the
// participant runs its own operations one at a time.
import { FederatedError } from '../errors.js';
import * as protocol from '../protocol.js';
import { Participant } from './client.js';
import { indexedDbStore } from './store.js';

export function federatedHandlers() {
  /** @type {Participant | null} */ let participant = null;

  function need() {
    if (!participant) throw new FederatedError("join a federated task first (op 'join')");
    return participant;
  }

  const ops = {
    /** {serverUrl, task, clientName, seed, examples, pollMs, retry} → the status */
    join: async (msg) => {
      if (participant) throw new FederatedError(`this worker already takes part in task '${participant.task}'`);
      const p = new Participant({ serverUrl: msg.serverUrl, task: msg.task, clientName: msg.clientName, seed: msg.seed,
        examples: msg.examples, pollMs: msg.pollMs, retry: msg.retry, store: indexedDbStore() });
      try {
        const status = await p.open();
        participant = p;
        return status;
      } catch (err) {
        p.close();
        throw err;
      }
    },
    examples: (msg) => need().setExamples(msg.examples),
    runRound: (msg) => need().runRound(msg.options ?? {}),
    /** Check in and train on the current round, keeping the update without sending it. */
    prepare: (msg) => need().locked(async () => {
      const a = await need().assignment(msg.timeoutMs);
      if (a.status) return a;
      return { status: 'prepared', round: a.update.round, bytes: a.update.payload.byteLength, norm: a.update.norm, metrics: a.update.metrics };
    }),
    send: () => need().locked(() => need().send()),
    flushed: (msg) => need().flushed(msg.timeoutMs),
    pullLatest: () => need().locked(() => need().pullLatest()),
    status: () => need().status(),
    /** The page saw the network come back: send a kept update now. */
    online: () => {
      need().onOnline();
      return null;
    },
    leave: () => {
      participant?.close();
      participant = null;
      return null;
    },
  };

  return {
    /** @param {{id: number, op: string, [key: string]: any}} msg */
    async handle(msg) {
      const op = ops[msg.op];
      if (!op) throw new TypeError(`unknown federated op '${msg.op}' (known: ${Object.keys(ops).join(', ')})`);
      return protocol.federated(msg.id, await op(msg));
    },
  };
}
