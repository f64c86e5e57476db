// The console's charts, drawn with Chart.js from the table beside each one: the table is the
// record (readable, printable, there without scripts); the chart only pictures it.
// <table data-chart="bar|doughnut|funnel|progress" data-chart-canvas="ID" data-chart-label="…"
//        [data-chart-horizontal="true"]> with <tr data-label="…" data-value="…"> rows.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  var Chart = window.Chart;
  var GREENS = ["#1f6b3a", "#4f9a68", "#8cc29e", "#c5e0cd", "#2f7f8f", "#7fb2bd", "#b08a2e", "#d9c48a",
                "#8a5a00", "#b3261e", "#6d7a72", "#a9b4ad"];
  var number = new Intl.NumberFormat("zh-CN", { maximumFractionDigits: 1 });

  Chart.defaults.font.family = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif';
  Chart.defaults.font.size = 13;
  Chart.defaults.color = "#1d2420";
  Chart.defaults.animation = false;
  Chart.defaults.locale = "zh-CN";

  function rowsOf(table) {
    return Array.prototype.slice.call(table.querySelectorAll("tbody tr[data-value]"));
  }

  function draw(table) {
    var canvas = document.getElementById(table.getAttribute("data-chart-canvas"));
    if (!canvas) {
      return;
    }
    var kind = table.getAttribute("data-chart");
    var horizontal = table.getAttribute("data-chart-horizontal") === "true";
    var rows = rowsOf(table);
    var labels = rows.map(function (r) { return r.getAttribute("data-label"); });
    var values = rows.map(function (r) { return Number(r.getAttribute("data-value")); });
    var percent = kind === "progress";
    var colours = kind === "doughnut" ? GREENS.slice(0, values.length)
      : kind === "funnel" ? values.map(function (_, i) { return GREENS[Math.min(i, 3)]; })
      : percent ? values.map(function (v) { return v >= 100 ? "#1f6b3a" : v >= 50 ? "#4f9a68" : "#b08a2e"; })
      : "#4f9a68";
    var config = {
      type: kind === "doughnut" ? "doughnut" : "bar",
      data: {
        labels: labels,
        datasets: [{ label: table.getAttribute("data-chart-label") || "", data: values,
                     backgroundColor: colours, borderWidth: kind === "doughnut" ? 1 : 0,
                     maxBarThickness: 28 }]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        indexAxis: horizontal ? "y" : "x",
        plugins: {
          legend: { display: kind === "doughnut", position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (context) {
                var value = context.parsed && typeof context.parsed === "object"
                  ? context.parsed[horizontal ? "x" : "y"] : context.parsed;
                return " " + number.format(value) + (percent ? "%" : "");
              }
            }
          }
        }
      }
    };
    if (kind !== "doughnut") {
      var valueAxis = { beginAtZero: true, ticks: { precision: 0 }, grid: { color: "#e6ebe8" } };
      if (percent) {
        valueAxis.max = 100;
        valueAxis.ticks.callback = function (v) { return v + "%"; };
      }
      config.options.scales = horizontal
        ? { x: valueAxis, y: { grid: { display: false } } }
        : { y: valueAxis, x: { grid: { display: false } } };
    }
    new Chart(canvas, config);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-chart]"), draw);
  });
})();
