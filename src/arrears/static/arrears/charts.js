/* Arrears 贷后 — charts: every element marked data-chart="ID" is drawn by Apache ECharts (vendored, SVG renderer)
   from the option in the JSON script element ID, which the server builds (labels already translated). The
   numbers are also in the table under each chart. */
(function () {
  "use strict";
  var PALETTE = ["#1f5fae", "#157347", "#9a5b00", "#b42318", "#6d4bb5", "#4a5565", "#0f7c8c", "#c8102e"];

  function draw() {
    if (!window.echarts) return;
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.chart);
      if (!source) return;
      var option = JSON.parse(source.textContent);
      option.color = option.color || PALETTE;
      option.textStyle = { fontFamily: getComputedStyle(document.body).fontFamily };
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option);
      charts.push(chart);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        charts.forEach(function (chart) { chart.resize(); });
      }, 150);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
