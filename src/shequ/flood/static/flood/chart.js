/* A gauge's readings with its warning thresholds as lines (ECharts), from the JSON the page
   embeds: {device, unit, points: [[time, value]], thresholds: [[blue, yellow, orange, red]],
   labels: the levels' names in the page's language}. */
(function () {
  "use strict";

  var LINES = [["#1b6ec2", "blue"], ["#e0b000", "yellow"], ["#e8700a", "orange"], ["#c8102e", "red"]];

  function chart(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || typeof echarts === "undefined") return;
    var s = JSON.parse(source.textContent);
    var marks = [];
    (s.thresholds[0] || []).forEach(function (value, i) {
      if (value !== null) marks.push({ yAxis: value, lineStyle: { color: LINES[i][0] }, label: { formatter: (s.labels ? s.labels[i] : LINES[i][1]) + " " + value } });
    });
    var c = echarts.init(el);
    c.setOption({
      animation: false,
      grid: { left: 48, right: 120, top: 24, bottom: 32 },
      tooltip: { trigger: "axis" },
      // On a phone the chart is ~200 px wide past the threshold labels: fewer times, and a
      // label that would overlap its neighbour is left out rather than drawn over it.
      xAxis: { type: "time", splitNumber: el.clientWidth < 480 ? 3 : 6,
               axisLabel: { hideOverlap: true } },
      yAxis: { type: "value", name: s.unit },
      series: [{ type: "line", name: s.device, showSymbol: false, data: s.points,
                 markLine: { symbol: "none", silent: true, data: marks } }]
    });
    window.addEventListener("resize", function () { c.resize(); });
    el.setAttribute("data-chart-ready", String(s.points.length));
  }

  function start() {
    var charts = document.querySelectorAll("[data-flood-chart]");
    for (var i = 0; i < charts.length; i++) chart(charts[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
