"""The feed's gRPC clients: IndicatorService and PlatformRegistry, opened at startup."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

import grpc

from services.opendata.errors import FeedError, from_rpc_error
from yinling import tls
from yinling.config import Settings
from yinling.v1 import (
    common_pb2,
    indicators_pb2,
    indicators_pb2_grpc,
    platforms_pb2,
    platforms_pb2_grpc,
)

R = TypeVar("R")
CALL_TIMEOUT_S = 5.0
PAGE_SIZE = 500
CHANGES_MAX = 5000   # IndicatorService.ListChanges' largest page
_CHANGE_PARAMETERS = {"after_cursor": "after", "limit": "limit", "indicator_ids": "indicator",
                      "territories": "territory"}


class Backends:
    def __init__(self, indicators_address: str, platforms_address: str,
                 connect: Callable[[str], grpc.Channel] = grpc.insecure_channel) -> None:
        self._channels = [connect(indicators_address), connect(platforms_address)]
        self.indicators = indicators_pb2_grpc.IndicatorServiceStub(self._channels[0])
        self.platforms = platforms_pb2_grpc.PlatformRegistryStub(self._channels[1])

    @classmethod
    def from_settings(cls, settings: Settings) -> Backends:
        return cls(settings.address("indicators.grpc"), settings.address("platforms.grpc"),
                   lambda address: tls.channel(settings, address))

    def close(self) -> None:
        for channel in self._channels:
            channel.close()

    @staticmethod
    def _call(backend: str, method: Callable[..., R], request: Any) -> R:
        try:
            return method(request, timeout=CALL_TIMEOUT_S)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc, backend) from None

    def list_indicators(self, territory: str, as_of: str,
                        plan_id: str = "") -> list[indicators_pb2.IndicatorValue]:
        request = indicators_pb2.ListIndicatorsRequest(territory=territory, as_of=as_of, plan_id=plan_id)
        return list(self._call("indicators", self.indicators.List, request).values)

    def latest_change(self) -> indicators_pb2.LatestChangeResponse:
        return self._call("indicators", self.indicators.LatestChange,
                          indicators_pb2.LatestChangeRequest())

    def get_indicator(self, indicator_id: str, territory: str, as_of: str) -> indicators_pb2.IndicatorValue:
        request = indicators_pb2.GetIndicatorRequest(indicator_id=indicator_id, territory=territory,
                                                     as_of=as_of)
        return self._call("indicators", self.indicators.Get, request)

    def indicator_history(self, indicator_id: str, territory: str, series: str) -> list[indicators_pb2.IndicatorChanged]:
        request = indicators_pb2.IndicatorHistoryRequest(indicator_id=indicator_id,
                                                         territory=territory, as_of=series)
        return list(self._call("indicators", self.indicators.History, request).points)

    def indicator_changes(self, after: int, limit: int, indicator_ids: list[str],
                          territories: list[str]) -> indicators_pb2.ListIndicatorChangesResponse:
        request = indicators_pb2.ListIndicatorChangesRequest(
            after_cursor=after, limit=limit, indicator_ids=indicator_ids, territories=territories)
        try:
            return self._call("indicators", self.indicators.ListChanges, request)
        except FeedError as exc:   # name the feed's query parameter, not the gRPC field
            exc.field = _CHANGE_PARAMETERS.get((exc.field or "").split("[")[0], exc.field)
            raise

    def every_change(self) -> Iterator[indicators_pb2.IndicatorChanged]:
        """The whole change log in order, in the service's largest pages."""
        cursor = 0
        while True:
            page = self.indicator_changes(cursor, CHANGES_MAX, [], [])
            yield from page.changes
            if not page.changes:
                return
            cursor = page.next_cursor

    def platform_page(self, district: str, kind: str, level: int, cursor: str,
                      size: int) -> platforms_pb2.ListPlatformsResponse:
        """One page of accredited platforms only: the filter is asked of the registry."""
        request = platforms_pb2.ListPlatformsRequest(
            district=district, kind=kind, level=cast("platforms_pb2.PlatformLevel", level),
            status=platforms_pb2.PLATFORM_STATUS_ACCREDITED,
            page=common_pb2.PageRequest(page_size=size, page_token=cursor))
        try:
            return self._call("platforms", self.platforms.List, request)
        except FeedError as exc:
            if exc.field and exc.field.startswith("page."):  # the registry's token is our cursor
                exc.field = "cursor" if exc.field.endswith("token") else "limit"
            raise

    def all_platforms(self, district: str, kind: str, level: int) -> Iterator[platforms_pb2.Platform]:
        cursor = ""
        while True:
            page = self.platform_page(district, kind, level, cursor, PAGE_SIZE)
            yield from page.platforms
            if not page.next_page_token:
                return
            cursor = page.next_page_token

    def platform_changes(self, after: int, limit: int) -> platforms_pb2.ListPlatformChangesResponse:
        request = platforms_pb2.ListPlatformChangesRequest(after_cursor=after, limit=limit)
        try:
            return self._call("platforms", self.platforms.ListChanges, request)
        except FeedError as exc:   # the feed's query parameter, not the gRPC field
            exc.field = {"after_cursor": "after"}.get(exc.field or "", exc.field)
            raise
