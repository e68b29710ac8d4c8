package main

// What each connector's fake exchange needs: its endpoint keys in the
// daemon's config (the REST ones and those of its private streams), and the key and account of a demo account in the fake's
// own types, written as JSON with their Go field names (the fake's command
// refuses a field it does not know, so a rename there fails the demo's
// test, not the demo).

import "strconv"

type obj = map[string]any

// exchange describes one connector to the demo.
type exchange struct {
	name       string
	display    string
	endpoints  []string // the plugin's endpoint keys, all pointed at the fake
	streams    []string // its private streams' endpoint keys, pointed at the fake's streams
	passphrase bool
	// key and account render the fake's Key and Account.
	key     func(apiKey, secret, passphrase string) obj
	account func(a *account, m *market) obj
	// start is the account's opening state.
	start account
}

var loopback = []string{"127.0.0.1", "::1"}

// concat is a unified base like BTC as the exchange's futures symbol.
func concat(base string) string { return base + "USDT" }

var exchanges = []exchange{
	{
		name: "binance", display: "Binance", endpoints: []string{"spot", "futures"},
		streams: []string{"spot_ws", "futures_ws"},
		key: func(k, s, _ string) obj {
			return obj{"APIKey": k, "Secret": s, "EnableReading": true, "EnableSpotAndMarginTrading": true,
				"EnableFutures": true, "IPRestrict": true, "AllowedIPs": loopback}
		},
		account: func(a *account, m *market) obj {
			upnl, mb, _, avail := a.totals(m)
			var spot, pos []obj
			for _, h := range a.spot {
				spot = append(spot, obj{"Asset": h.asset, "Free": h.free.fixed(6), "Locked": h.locked.fixed(6)})
			}
			for _, p := range a.positions {
				size := p.size
				if !p.long {
					size = -size
				}
				pos = append(pos, obj{"Symbol": concat(p.base), "PositionSide": "BOTH", "PositionAmt": size.String(),
					"EntryPrice": p.entry.String(), "MarkPrice": m.prices[p.base].String(),
					"UnRealizedProfit": p.upnl(m).String(), "LiquidationPrice": p.liquidation().fixed(2)})
			}
			conf := obj{}
			for _, p := range a.positions {
				conf[concat(p.base)] = obj{"Leverage": p.leverage, "MarginType": "CROSSED"}
			}
			return obj{"Spot": spot, "Positions": pos, "SymbolConfig": conf, "Futures": []obj{{"Asset": "USDT",
				"WalletBalance": a.wallet.String(), "UnrealizedProfit": upnl.String(),
				"MarginBalance": mb.String(), "AvailableBalance": avail.String()}}}
		},
		start: account{
			spot:   []holding{{"BTC", d("0.5321"), d("0.01")}, {"USDT", d("12500.75"), 0}, {"BNB", d("3.2"), 0}},
			wallet: d("25000"),
			positions: []position{{"BTC", true, d("0.25"), d("60110.4"), 10},
				{"ETH", false, d("3.5"), d("3050.1"), 5}},
		},
	},
	{
		name: "bybit", display: "Bybit", endpoints: []string{"rest"}, streams: []string{"private_ws"},
		key: func(k, s, _ string) obj {
			return obj{"APIKey": k, "Secret": s, "Permissions": map[string][]string{
				"ContractTrade": {"Order", "Position"}, "Spot": {"SpotTrade"}}, "IPs": loopback, "DeadlineDay": -2, "UTA": 1}
		},
		account: func(a *account, m *market) obj {
			upnl, _, _, _ := a.totals(m)
			coins := []obj{{"Coin": "USDT", "WalletBalance": a.wallet.String(), "Locked": "0", "UnrealisedPnl": upnl.String()}}
			for _, h := range a.spot {
				coins = append(coins, obj{"Coin": h.asset, "WalletBalance": (h.free + h.locked).String(), "Locked": h.locked.String()})
			}
			var pos []obj
			for _, p := range a.positions {
				side := "Buy"
				if !p.long {
					side = "Sell"
				}
				pos = append(pos, obj{"Symbol": concat(p.base), "Side": side, "Size": p.size.String(),
					"AvgPrice": p.entry.String(), "MarkPrice": m.prices[p.base].String(), "UnrealisedPnl": p.upnl(m).String(),
					"Leverage": itoa(p.leverage), "LiqPrice": p.liquidation().fixed(2)})
			}
			return obj{"Coins": coins, "Positions": pos}
		},
		start: account{
			spot:      []holding{{"ETH", d("4.75"), 0}, {"SOL", d("120"), 0}},
			wallet:    d("8200.5"),
			positions: []position{{"SOL", true, d("40"), d("145.3"), 10}},
		},
	},
	{
		name: "bingx", display: "BingX", endpoints: []string{"rest"}, streams: []string{"spot_ws", "swap_ws"},
		key: func(k, s, _ string) obj {
			return obj{"APIKey": k, "Secret": s, "Permissions": []int{1, 2, 3}, "IPAddresses": loopback}
		},
		account: func(a *account, m *market) obj {
			upnl, mb, used, avail := a.totals(m)
			var spot, pos []obj
			for _, h := range a.spot {
				spot = append(spot, obj{"Asset": h.asset, "Free": h.free.String(), "Locked": h.locked.String()})
			}
			for i, p := range a.positions {
				side := "LONG"
				if !p.long {
					side = "SHORT"
				}
				pos = append(pos, obj{"PositionID": itoa(i + 1), "Symbol": p.base + "-USDT", "PositionSide": side,
					"PositionAmt": p.size.String(), "AvgPrice": p.entry.String(), "MarkPrice": m.prices[p.base].String(),
					"UnrealizedProfit": p.upnl(m).String(), "LiquidationPrice": p.liquidation().fixed(2), "Leverage": p.leverage})
			}
			return obj{"Spot": spot, "Positions": pos, "Swap": []obj{{"Asset": "USDT", "Balance": a.wallet.String(),
				"Equity": mb.String(), "UnrealizedProfit": upnl.String(), "RealisedProfit": "0",
				"AvailableMargin": avail.String(), "UsedMargin": used.String(), "FreezedMargin": "0"}}}
		},
		start: account{
			spot:      []holding{{"USDT", d("3400"), d("150")}, {"DOGE", d("25000"), 0}},
			wallet:    d("5100"),
			positions: []position{{"ETH", true, d("1.2"), d("2988"), 20}},
		},
	},
	{
		name: "bitget", display: "Bitget", endpoints: []string{"rest"}, streams: []string{"ws"}, passphrase: true,
		key: func(k, s, p string) obj {
			return obj{"APIKey": k, "Secret": s, "Passphrase": p,
				"Authorities": []string{"stor", "stow", "coor", "coow", "cpor", "cpow"}, "IPs": "127.0.0.1"}
		},
		account: func(a *account, m *market) obj {
			upnl, mb, _, avail := a.totals(m)
			var spot, pos []obj
			for _, h := range a.spot {
				spot = append(spot, obj{"Coin": h.asset, "Available": h.free.String(), "Frozen": "0", "Locked": h.locked.String()})
			}
			for _, p := range a.positions {
				side := "long"
				if !p.long {
					side = "short"
				}
				pos = append(pos, obj{"Symbol": concat(p.base), "MarginCoin": "USDT", "HoldSide": side,
					"Total": p.size.String(), "OpenPriceAvg": p.entry.String(), "MarkPrice": m.prices[p.base].String(),
					"UnrealizedPL": p.upnl(m).String(), "Leverage": itoa(p.leverage),
					"LiquidationPrice": p.liquidation().fixed(2), "MarginMode": "crossed"})
			}
			return obj{"Spot": spot, "Positions": pos, "Futures": []obj{{"MarginCoin": "USDT",
				"Available": avail.String(), "CrossedMaxAvailable": avail.String(), "AccountEquity": mb.String(),
				"UnrealizedPL": upnl.String(), "CrossedUnrealizedPL": upnl.String(), "Locked": "0"}}}
		},
		start: account{
			spot:      []holding{{"USDT", d("2100.5"), 0}, {"BTC", d("0.034"), 0}},
			wallet:    d("4000"),
			positions: []position{{"BTC", false, d("0.05"), d("62010"), 10}},
		},
	},
	{
		name: "okx", display: "OKX", endpoints: []string{"rest"}, streams: []string{"ws"}, passphrase: true,
		key: func(k, s, p string) obj {
			return obj{"APIKey": k, "Secret": s, "Passphrase": p, "Trade": true, "IPs": loopback}
		},
		account: func(a *account, m *market) obj {
			upnl, mb, _, avail := a.totals(m)
			bals := []obj{{"Ccy": "USDT", "Eq": mb.String(), "CashBal": a.wallet.String(), "AvailBal": avail.String(),
				"AvailEq": avail.String(), "FrozenBal": "0", "Upl": upnl.String()}}
			for _, h := range a.spot {
				eq := (h.free + h.locked).String()
				bals = append(bals, obj{"Ccy": h.asset, "Eq": eq, "CashBal": eq, "AvailBal": h.free.String(),
					"AvailEq": h.free.String(), "FrozenBal": h.locked.String(), "Upl": "0"})
			}
			var pos []obj
			for _, p := range a.positions {
				// OKX counts swap contracts; one BTC-USDT-SWAP contract is 0.01 BTC.
				contracts := p.size * 100
				if !p.long {
					contracts = -contracts
				}
				pos = append(pos, obj{"InstType": "SWAP", "InstID": p.base + "-USDT-SWAP", "MgnMode": "cross",
					"PosSide": "net", "Pos": contracts.String(), "AvgPx": p.entry.String(),
					"MarkPx": m.prices[p.base].String(), "Upl": p.upnl(m).String(), "Lever": itoa(p.leverage),
					"LiqPx": p.liquidation().fixed(2)})
			}
			return obj{"AcctLv": "2", "PosMode": "net_mode", "Balances": bals, "Positions": pos}
		},
		start: account{
			spot:      []holding{{"BTC", d("0.12"), 0}, {"ETH", d("1.5"), d("0.5")}},
			wallet:    d("6400"),
			positions: []position{{"BTC", true, d("0.1"), d("60800"), 5}},
		},
	},
}

func itoa(n int) string { return strconv.Itoa(n) }
