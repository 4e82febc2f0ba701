/* Parking indices charts: each [data-chart] element draws the JSON of the <script
   type="application/json" id=data-source> that the page embeds (Django's json_script).
   Kinds: "bars" (idle night spaces per garage or estate), "heatmap" (occupancy rate by weekday
   and hour; hours run down the side on a narrow screen), "line" (cars inside, hour by hour).
   No inline script, no network request: the figures are on the page already. */
(function () {
  "use strict";

  var NARROW = 600;
  var COLORS = ["#1b7f3b", "#c8d3df", "#c8102e"];
  var FONT = 'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';

  function readData(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    return source ? JSON.parse(source.textContent) : null;
  }

  function bars(data, narrow) {
    var horizontal = narrow || data.categories.length > 6;
    var category = {
      type: "category",
      data: data.categories,
      axisLabel: { interval: 0, width: narrow ? 96 : 120, overflow: "break", fontSize: 12 },
      inverse: horizontal
    };
    var value = { type: "value", name: horizontal ? "" : data.unit, minInterval: 1 };
    var stacked = data.kind === "garages";
    return {
      color: stacked ? [COLORS[0], COLORS[1]] : [COLORS[0], COLORS[2]],
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 24, top: 40, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: data.series.map(function (s, i) {
        return {
          name: s.name,
          type: "bar",
          stack: stacked ? "capacity" : undefined,
          data: s.data,
          barMaxWidth: 36,
          label: {
            show: stacked ? i === 0 : true,
            position: stacked ? "inside" : (horizontal ? "right" : "top"),
            color: stacked ? "#fff" : "#1d2733"
          }
        };
      })
    };
  }

  function heatmap(data, narrow) {
    var labels = data.labels;
    // Narrow: weekdays across, hours down the side, so 24 rows fit a phone's height.
    var cells = data.cells.map(function (c) {
      return narrow ? [c[1], c[0], c[2], c[3], c[4]] : c;
    });
    var hours = data.hours;
    var days = data.weekdays;
    return {
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 8, top: 8, bottom: 48, containLabel: true },
      tooltip: {
        formatter: function (p) {
          var c = p.data;
          var day = narrow ? days[c[0]] : days[c[1]];
          var hour = narrow ? hours[c[1]] : hours[c[0]];
          var stay = c[4] === null ? "—" : c[4] + " " + labels.minutes;
          return day + " " + hour + "<br>" + labels.rate + ": " + c[2] + " %<br>" +
            labels.turnover + ": " + c[3] + "<br>" + labels.stay + ": " + stay;
        }
      },
      xAxis: { type: "category", data: narrow ? data.weekdays_narrow : hours, splitArea: { show: true },
        axisLabel: { interval: narrow ? 0 : 1, fontSize: 11 } },
      yAxis: { type: "category", data: narrow ? hours : days, splitArea: { show: true }, inverse: true,
        axisLabel: { interval: narrow ? 1 : 0, fontSize: 11 } },
      visualMap: {
        min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0,
        itemHeight: narrow ? 180 : 240, text: ["100 %", "0 %"], dimension: 2,
        inRange: { color: ["#f4f8fb", "#9cc8e6", "#f5b041", "#c8102e"] }
      },
      series: [{ type: "heatmap", data: cells, name: labels.rate,
        emphasis: { itemStyle: { borderColor: "#1d2733", borderWidth: 1 } } }]
    };
  }

  function line(data, narrow) {
    var ticks = {};
    data.ticks.forEach(function (i) { ticks[i] = true; });
    var every = Math.max(1, Math.ceil(data.ticks.length / (narrow ? 4 : 10)));
    var shown = {};
    data.ticks.forEach(function (t, k) { if (k % every === 0) { shown[t] = true; } });
    return {
      color: ["#1a5fb4"],
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: {
        type: "category", data: data.times, boundaryGap: false,
        axisTick: { interval: function (i) { return !!ticks[i]; } },
        axisLabel: { interval: function (i) { return !!shown[i]; },
          formatter: function (v) { return v.slice(0, 5); } }
      },
      yAxis: { type: "value", min: 0, minInterval: 1, max: function (v) {
        // Room for the capacity line, on a round figure so no label crowds the top one.
        var top = Math.max(v.max, data.capacity || 0);
        var step = top > 100 ? 50 : (top > 20 ? 10 : 2);
        return Math.ceil(top / step) * step;
      } },
      series: [{
        name: data.labels.occupied, type: "line", data: data.occupied, showSymbol: false,
        areaStyle: { opacity: 0.12 }, lineStyle: { width: 1.5 },
        markLine: data.capacity ? {
          symbol: "none", silent: true, lineStyle: { color: "#c8102e", type: "dashed" },
          label: { formatter: data.labels.capacity + " {c}", position: "insideEndTop" },
          data: [{ yAxis: data.capacity }]
        } : undefined
      }]
    };
  }

  var KINDS = { bars: bars, heatmap: heatmap, line: line };

  function draw(el) {
    var data = readData(el);
    var kind = KINDS[el.getAttribute("data-chart")];
    if (!data || !kind || typeof echarts === "undefined") { return null; }
    var narrow = el.clientWidth < NARROW;
    el.classList.toggle("pki-narrow", narrow);
    if (kind === bars && (narrow || data.categories.length > 6)) {
      el.style.height = Math.max(220, 64 + data.categories.length * 56) + "px";
    }
    var chart = echarts.init(el, null, { renderer: "svg" });
    var option = kind(data, narrow);
    option.animation = false;  // draw at once: what the page shows is the figure, not a motion
    chart.setOption(option);
    el.setAttribute("data-drawn", "true");
    return { el: el, chart: chart, narrow: narrow, data: data, kind: kind };
  }

  function start() {
    var drawn = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var d = draw(el);
      if (d) { drawn.push(d); }
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        drawn.forEach(function (d, i) {
          var narrow = d.el.clientWidth < NARROW;
          if (narrow !== d.narrow) {
            d.chart.dispose();
            drawn[i] = draw(d.el) || d;
          } else {
            d.chart.resize();
          }
        });
      }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
