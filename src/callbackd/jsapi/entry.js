// The helper's own build of DingTalk's JSAPI for flow C's page: only what
// the page calls (dd.ready, dd.env, dd.requestAuthCode and the older
// dd.runtime.permission.requestAuthCode), from the npm package
// dingtalk-jsapi (MIT), bundled by scripts/build-jsapi. The page checks
// the result with Subresource Integrity (docs/dingtalk-api.md, flow C).
var core = require('dingtalk-jsapi/entry/union');
var requestAuthCode = require('dingtalk-jsapi/api/union/requestAuthCode').default;
var legacy = require('dingtalk-jsapi/api/runtime/permission/requestAuthCode').default;

window.dd = Object.assign({}, core, {
  requestAuthCode: requestAuthCode,
  runtime: Object.assign({}, core.runtime, {
    permission: Object.assign({}, core.runtime && core.runtime.permission,
                              {requestAuthCode: legacy})
  })
});
