// The ccxt side of host/e2e BenchmarkBinanceSync: the same account syncs
// gahost runs (spot balances, the USDT-M futures wallet, open positions),
// made with ccxt against the same fake Binance, so that the two CPU costs
// can be compared within one run.
//
//   node sync.mjs URL KEYS_FILE MODE RATE SECONDS
//
// URL is the fake's base URL; KEYS_FILE a JSON array of {"key", "secret"};
// MODE "paced" (one sync started every 1/RATE seconds, the accounts in
// turn) or "b2b" (each account synced again as soon as its last sync
// ended, all accounts at once; RATE is unused). Each account has one ccxt
// instance, made and warmed up (markets loaded, one sync) before the
// measured SECONDS, and reused for every sync: ccxt's cheapest way.
//
// It prints one JSON line: {"syncs": n, "errors": n, "cpu_us": n,
// "wall_ms": n}, the CPU being the whole process's (process.cpuUsage)
// over the measured part only.
import ccxt from 'ccxt';
import { readFileSync } from 'node:fs';

const [url, keysFile, mode, rateArg, secondsArg] = process.argv.slice(2);
const keys = JSON.parse(readFileSync(keysFile, 'utf8'));
const rate = Number(rateArg);
const seconds = Number(secondsArg);

function instance({ key, secret }) {
  const x = new ccxt.binance({
    apiKey: key,
    secret,
    // Pacing is the benchmark's, as it is the scheduler's on gahost's side.
    enableRateLimit: false,
    options: {
      // The fake serves spot and USDT-M markets only; currencies and
      // margin pairs are calls a balance sync does not need.
      fetchCurrencies: false,
      fetchMargins: false,
      fetchMarkets: { types: ['spot', 'linear'] },
      // Leverage brackets only feed maintenance-margin fields.
      leverageBrackets: {},
    },
  });
  for (const name of Object.keys(x.urls.api)) {
    if (typeof x.urls.api[name] === 'string') {
      x.urls.api[name] = x.urls.api[name].replace(/^https:\/\/[a-z]*api\.binance\.com/, url);
    }
  }
  return x;
}

async function sync(x) {
  await x.fetchBalance();
  await x.fetchBalance({ type: 'future' });
  await x.fetchPositions();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const xs = keys.map(instance);
for (const x of xs) {
  await x.loadMarkets();
  await sync(x);
}

let syncs = 0;
let errors = 0;
const run = async (x) => {
  try {
    await sync(x);
    syncs++;
  } catch (e) {
    errors++;
    if (errors === 1) console.error('ccxt sync failed:', e.message);
  }
};

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = t0 + seconds * 1000;
if (mode === 'paced') {
  const period = 1000 / rate;
  const inflight = [];
  for (let i = 0; t0 + i * period < end; i++) {
    const wait = t0 + i * period - performance.now();
    if (wait > 0) await sleep(wait);
    inflight.push(run(xs[i % xs.length]));
  }
  await Promise.all(inflight);
} else {
  await Promise.all(xs.map(async (x) => {
    while (performance.now() < end) await run(x);
  }));
}
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({
  syncs, errors, cpu_us: cpu.user + cpu.system, wall_ms: Math.round(performance.now() - t0),
}));
