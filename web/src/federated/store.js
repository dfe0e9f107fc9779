// Where a browser participant keeps what must survive a reload: its client id and token, the last round
// it took, the version it holds, and an update made but not yet acknowledged (header + payload bytes).
// IndexedDB 'edgeward-federated', one record per (coordinator, task, client name); a record is written
// whole in one transaction. The update is stored *before* it is sent, so a crash, a closed tab or a
// dropped network between training and the coordinator's receipt loses nothing (client.js resends; the
// coordinator refuses a second copy as 'duplicate', which counts as sent). Never examples or features.

export const DB_NAME = 'edgeward-federated';
const DB_VERSION = 1;
const CLIENTS = 'clients';

/**
 * @typedef {{round: number, baseVersion: number, header: object, payload: Uint8Array, norm: number,
 *   metrics: import('./local.js').LocalMetrics, attempts: number, createdAt: string}} PendingUpdate
 * @typedef {{key: string, serverUrl: string, task: string, clientName: string, clientId: string, token: string,
 *   lastRound: number, version: number | null, package: string | null, pending: PendingUpdate | null,
 *   sent: {round: number, at: string, duplicate: boolean} | null}} ClientRecord
 * @typedef {{get: (key: string) => Promise<ClientRecord | undefined>, put: (record: ClientRecord) => Promise<void>,
 *   delete: (key: string) => Promise<void>}} ClientStore
 */

/** @param {IDBRequest | IDBTransaction} r @returns {Promise<any>} */
function settled(r) {
  return new Promise((resolve, reject) => {
    if ('oncomplete' in r) {
      r.oncomplete = () => resolve(undefined);
      r.onabort = () => reject(r.error ?? new DOMException('the transaction was aborted', 'AbortError'));
      r.onerror = () => reject(r.error);
    } else {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    }
  });
}

/**
 * The IndexedDB store (works in the page and in workers).
 * @param {IDBFactory} [idb] @returns {ClientStore}
 */
export function indexedDbStore(idb = globalThis.indexedDB) {
  async function run(mode, work) {
    if (!idb) throw new DOMException('IndexedDB is not available here: a federated client cannot keep its state', 'NotSupportedError');
    const request = idb.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(CLIENTS)) request.result.createObjectStore(CLIENTS, { keyPath: 'key' });
    };
    const db = await settled(request);
    try {
      const tx = db.transaction(CLIENTS, mode);
      const value = await work(tx.objectStore(CLIENTS));
      await settled(tx);
      return value;
    } finally {
      db.close();
    }
  }
  return {
    get: (key) => run('readonly', (s) => settled(s.get(key))),
    put: (record) => run('readwrite', (s) => { s.put(record); }),
    delete: (key) => run('readwrite', (s) => { s.delete(key); }),
  };
}

/** A store in memory (tests; a page that must not persist anything). @returns {ClientStore} */
export function memoryStore() {
  const records = new Map();
  return {
    get: async (key) => (records.has(key) ? structuredClone(records.get(key)) : undefined),
    put: async (record) => { records.set(record.key, structuredClone(record)); },
    delete: async (key) => { records.delete(key); },
  };
}
