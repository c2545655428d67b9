// The page's charts: one uPlot chart per indicator from the JSON the server wrote into
// #chart-data (numbers already in the row's unit: 亿元 for large money). Each chart has its
// data table beside it in the page, so the chart itself is a picture (role="img").
(function () {
  "use strict";
  var holder = document.getElementById("chart-data");
  if (!holder || typeof uPlot === "undefined") { return; }
  var charts = JSON.parse(holder.textContent);
  var DAY = 86400;

  function seconds(isoDate) { return Date.parse(isoDate + "T00:00:00Z") / 1000; }

  function build(c) {
    var host = document.querySelector('[data-chart="' + c.id + '"]');
    if (!host) { return null; }
    // x: every date any series has a value on, in order; y: null where a series has none.
    var xs = {};
    c.points.forEach(function (p) { xs[p[0]] = true; });
    if (c.start) { xs[c.start] = true; }
    if (c.target_date) { xs[c.target_date] = true; }
    if (c.view_date) { xs[c.view_date] = true; }
    var dates = Object.keys(xs).sort();
    var values = {};
    c.points.forEach(function (p) { values[p[0]] = p[1]; });
    var x = dates.map(seconds);
    var value = dates.map(function (d) { return d in values ? values[d] : null; });
    var data = [x, value];
    var series = [{}, {label: "数值 value", stroke: "#0b4fa8", width: 2,
                       points: {show: true, size: 6}, spanGaps: false}];
    if (c.target !== null && c.baseline !== null) {
      var t0 = seconds(c.start), t1 = seconds(c.target_date);
      data.push(x.map(function (t) {   // the straight path, drawn between its two ends only
        if (t < t0 || t > t1) { return null; }
        return c.baseline + (c.target - c.baseline) * (t1 > t0 ? (t - t0) / (t1 - t0) : 1);
      }));
      series.push({label: "路径 path", stroke: "#6b6b6b", width: 1.5, dash: [6, 4], spanGaps: true,
                   points: {show: false}});
    }
    if (c.target !== null) {
      data.push(x.map(function () { return c.target; }));
      series.push({label: "目标 target", stroke: "#b3261e", width: 1.5, dash: [2, 3],
                   points: {show: false}});
    }
    if (c.baseline !== null) {
      data.push(x.map(function () { return c.baseline; }));
      series.push({label: "基线 baseline", stroke: "#2e7d32", width: 1, points: {show: false}});
    }
    var opts = {
      width: Math.max(host.clientWidth, 200), height: 220,
      legend: {show: false}, cursor: {show: false}, series: series,
      scales: {x: {time: true, range: function (u, lo, hi) { return [lo - 30 * DAY, hi + 30 * DAY]; }},
               y: {range: function (u, lo, hi) { return [Math.min(0, lo), hi > 0 ? hi * 1.1 : 1]; }}},
      axes: [{space: 60}, {size: 56, values: function (u, ticks) {
        return ticks.map(function (v) { return v.toLocaleString("zh-CN"); });
      }}]
    };
    if (c.view_date) {   // the date the table above is for: a vertical line
      opts.hooks = {draw: [function (u) {
        var left = u.valToPos(seconds(c.view_date), "x", true), ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = "#6a1b9a"; ctx.lineWidth = 2 * uPlot.pxRatio;
        ctx.beginPath(); ctx.moveTo(left, u.bbox.top);
        ctx.lineTo(left, u.bbox.top + u.bbox.height); ctx.stroke();
        ctx.restore();
      }]};
    }
    var plot = new uPlot(opts, data, host);
    plot.root.setAttribute("aria-hidden", "true");
    return {plot: plot, host: host};
  }

  var built = charts.map(build).filter(Boolean);
  var resize = function () {
    built.forEach(function (b) { b.plot.setSize({width: Math.max(b.host.clientWidth, 200), height: 220}); });
  };
  window.addEventListener("resize", resize);
  document.documentElement.setAttribute("data-charts", String(built.length));
}());
