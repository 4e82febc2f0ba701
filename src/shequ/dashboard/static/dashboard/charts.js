/* Module pages: each indicator's values over time (ECharts), from the JSON the page embeds:
   {title, unit, target, target_label, points: [[time, value]]}, the target as a dashed line;
   "PNG" saves the chart as an image. A value that could not be computed is a gap. */
(function () {
  "use strict";

  function chart(el) {
    var source = document.getElementById(el.getAttribute("data-source"));
    if (!source || typeof echarts === "undefined") return;
    var s = JSON.parse(source.textContent);
    var c = echarts.init(el);
    c.setOption({
      animation: false,
      grid: { left: 56, right: 24, top: 24, bottom: 32 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "time" },
      yAxis: { type: "value", name: s.unit },
      series: [{ type: "line", name: s.title, showSymbol: s.points.length < 40, data: s.points, connectNulls: false,
                 markLine: s.target === null ? undefined : { symbol: "none", silent: true,
                   lineStyle: { color: "#1b7f3b", type: "dashed" },
                   data: [{ yAxis: s.target, label: { formatter: s.target_label + " " + s.target } }] } }]
    });
    window.addEventListener("resize", function () { c.resize(); });
    var link = el.parentNode.querySelector("[data-png-link]");
    if (link) link.addEventListener("click", function (e) {
      e.preventDefault();
      var a = document.createElement("a");
      a.href = c.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
      a.download = el.getAttribute("data-png") || "chart.png";
      a.click();
    });
    el.setAttribute("data-chart-ready", String(s.points.length));
  }

  function start() {
    var charts = document.querySelectorAll("[data-dash-chart]");
    for (var i = 0; i < charts.length; i++) chart(charts[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
