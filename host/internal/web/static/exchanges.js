// The exchanges page: each connector plugin's status, version, restarts,
// capabilities and, where the daemon reports it, how much of its rate
// budget is in use.
'use strict';

GA.start(async () => {
  GA.clear(document.getElementById('exchanges'), GA.exchangesTable(await GA.list('/api/v1/exchanges')));
});
